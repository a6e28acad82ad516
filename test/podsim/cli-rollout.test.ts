import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';

import { ROOT, startNode } from '../helpers.js';
import { skipWithoutNamespaces as skip } from './support.js';

const CLI = join(ROOT, 'dist', 'podsim', 'cli.js');
const MANIFEST = join(ROOT, 'test', 'fixtures', 'podsim-rolling.yaml');

interface Line {
  t: number;
  event: string;
  pod?: string;
  ready?: boolean;
  [key: string]: unknown;
}

test('a CLI rolling update deletes no old pod before its replacement is Ready', { skip },
  async (t) => {
    const cli = startNode(t, CLI, ['run', MANIFEST, '--json',
      '--image', 'web=node dist/test/fixtures/podsim-http-server.js serve',
      '--rollout-after', '1500ms', '--delete-after-rollout', '500ms', '--grace-period', '2'],
    { cwd: ROOT });

    const exit = await cli.waitForExit(60_000);

    assert.equal(exit.code, 0, cli.output());
    const lines = cli.lines as Line[];
    const rollout = lines.findIndex((l) => l.event === 'RolloutStarted');
    assert.ok(rollout > 0, cli.output());
    const oldPods = new Set(lines.slice(0, rollout).filter((l) => l.event === 'PodCreated')
      .map((l) => l.pod));
    assert.equal(oldPods.size, 3);
    const readyNew = new Set<string>();
    let oldDeleted = 0;
    const deleteAll = lines.findIndex((l) => l.event === 'DeleteAll');
    for (const line of lines.slice(rollout, deleteAll)) {
      if (line.event === 'PodReady' && line.ready && !oldPods.has(line.pod)) {
        readyNew.add(line.pod!);
      }
      if (line.event === 'PodTerminating' && oldPods.has(line.pod)) {
        oldDeleted += 1;
        assert.ok(readyNew.size >= oldDeleted,
          `old pod ${line.pod} deleted at ${line.t} ms with ${readyNew.size} new pods Ready`);
      }
    }
    assert.equal(oldDeleted, 3, cli.output());
    assert.ok(lines.some((l) => l.event === 'RolloutComplete' && l.revision === 2));
    for (const pod of readyNew) assert.match(pod, /^web-[a-z0-9]+-[a-z0-9]{5}$/);
    assert.equal(lines.filter((l) => l.event === 'PodDeleted').length, 6, cli.output());
  });

test('the CLI names the missing --image flag for an unmapped image', async (t) => {
  const cli = startNode(t, CLI, ['run', MANIFEST], { cwd: ROOT });

  const exit = await cli.waitForExit();

  assert.equal(exit.code, 2);
  assert.match(cli.text.join(''), /registry\.example\.com\/demo\/web:1\.0.*--image/s);
});

test('the CLI rejects a duration without a unit', async (t) => {
  const cli = startNode(t, CLI, ['run', MANIFEST, '--delete-after', '5'], { cwd: ROOT });

  const exit = await cli.waitForExit();

  assert.equal(exit.code, 2);
  assert.match(cli.text.join(''), /--delete-after is "5"; expected a duration/);
});

// The short rollout benchmark as a test: every configuration rolled out in the pod emulator
// against a real RabbitMQ; drainwatch (c, d) interrupts no task, and no configuration loses a
// message. Only safety is asserted, never time.

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';

import { Simulation } from '../../podsim/index.js';
import { ROOT, startNode, tempDir } from '../helpers.js';
import { needBroker } from './broker.js';

const BENCH = join(ROOT, 'dist', 'bench', 'rollout.js');
/** Four configurations of about 10 s each, on a loaded 2-core machine. */
const BENCH_BOUND_MS = 300_000;
const noNamespaces = Simulation.namespacesUnavailableReason();

interface Results {
  summaries: Array<{ configuration: string; interrupted: number; lost: number;
    published: number }>;
}

test('the short rollout benchmark interrupts no task under drainwatch and loses no message',
  { skip: noNamespaces ? `the pod emulator needs namespaces: ${noNamespaces}` : false,
    timeout: BENCH_BOUND_MS + 30_000 },
  async (t) => {
    if (!(await needBroker(t))) return;
    const out = await tempDir(t);
    const bench = startNode(t, BENCH, ['--short', '--out', out]);
    assert.deepEqual(await bench.waitForExit(BENCH_BOUND_MS), { code: 0, signal: null },
      bench.output());

    const results = JSON.parse(await readFile(join(out, 'rollout-short.json'), 'utf8')) as Results;
    const byName = new Map(results.summaries.map((s) => [s.configuration, s]));
    assert.deepEqual([...byName.keys()], ['a', 'b', 'c', 'd']);
    for (const summary of results.summaries) {
      assert.ok(summary.published > 0, `${summary.configuration} published nothing`);
      assert.equal(summary.lost, 0, `${summary.configuration} lost messages`);
    }
    assert.equal(byName.get('c')!.interrupted, 0);
    assert.equal(byName.get('d')!.interrupted, 0);
    const table = await readFile(join(out, 'rollout-short.md'), 'utf8');
    assert.match(table, /\| d\. drainwatch, native sidecar \|/);
  });

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';

import { ROOT, startNode, tempDir } from '../helpers.js';
import { skipWithoutNamespaces as skip } from './support.js';

const CLI = join(ROOT, 'dist', 'podsim', 'cli.js');

const MANIFEST = `
apiVersion: v1
kind: Pod
metadata: {name: lingering}
spec:
  containers:
  - name: app
    image: x
    command: ["sh", "-c", "sleep 1000 & while true; do sleep 0.1; done"]
`;

/** True while `pid` is a live (not zombie) process. */
function isAlive(pid: number): boolean {
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

async function waitDead(pids: number[], boundMs: number): Promise<number[]> {
  const deadline = Date.now() + boundMs;
  while (pids.some(isAlive) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return pids.filter(isAlive);
}

async function startCli(t: TestContext) {
  const dir = await tempDir(t, 'podsim-cleanup-');
  const file = join(dir, 'pod.yaml');
  await writeFile(file, MANIFEST);
  const cli = startNode(t, CLI, ['run', file, '--json']);
  const simulation = await cli.waitForEvent('SimulationStarted');
  // After a SIGKILL nobody removes podsim's temp dir; the test does.
  t.after(() => rm(String(simulation.tempDir), { recursive: true, force: true }));
  const started = await cli.waitForEvent('Started');
  const sandbox = await cli.waitForEvent('SandboxReady');
  return { cli, pids: [started.pid as number, sandbox.agentPid as number] };
}

test('a podsim killed with SIGKILL leaves no pod agent or container behind', { skip },
  async (t) => {
    const { cli, pids } = await startCli(t);
    assert.deepEqual(pids.filter(isAlive), pids);

    cli.kill('SIGKILL');
    await cli.waitForExit();

    assert.deepEqual(await waitDead(pids, 10_000), []);
  });

test('the CLI stops every pod on SIGINT and exits 130', { skip }, async (t) => {
  const { cli, pids } = await startCli(t);

  cli.kill('SIGINT');
  const exit = await cli.waitForExit();

  assert.equal(exit.code, 130, cli.output());
  assert.deepEqual(await waitDead(pids, 10_000), []);
});

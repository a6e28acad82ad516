// drainwatch-shim and drainwatch-sidecar together on one coordination directory, as the two
// containers of a pod run them. Termination is played the way the kubelet plays it: SIGTERM to
// both containers at once, or the preStop call to the sidecar, and SIGKILL for a container the
// kernel kills.

import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';

import { signalGroup } from '../../common/child.js';
import { SIDECAR_BIN, startNode, tempDir, type Running } from '../helpers.js';
import { readMarker, release, releaseFile, startShim } from '../shim/shim-harness.js';

/** "Promptly", loosely: far above the expected milliseconds. */
const PROMPT_MS = 10_000;

async function startSidecar(t: TestContext, dir: string, env: Record<string, string> = {}) {
  const sidecar = startNode(t, SIDECAR_BIN, [], {
    env: { DRAINWATCH_DIR: dir, DRAINWATCH_PORT: '0', DRAINWATCH_HOST: '127.0.0.1', ...env },
  });
  const listening = await sidecar.waitForEvent('http.listening');
  await sidecar.waitForEvent('watch.ready');
  return { sidecar, port: listening.port as number };
}

function isRunning(running: Running): boolean {
  return running.child.exitCode === null && running.child.signalCode === null;
}

test('an idle pod leaves promptly when the sidecar is asked to drain through /prestop', async (t) => {
  const dir = await tempDir(t, 'drainwatch-pod-');
  const { sidecar, port } = await startSidecar(t, dir);
  const { shim, paths } = await startShim(t, {
    dir, worker: 'shim-waits', shimArgs: ['--loop'], env: { DRAINWATCH_REPORTS_TASKS: 'true' },
  });
  await shim.waitForEvent('worker.idle');

  const answer = await fetch(`http://127.0.0.1:${port}/prestop`,
    { signal: AbortSignal.timeout(PROMPT_MS) });
  const [shimExit, sidecarExit] =
    await Promise.all([shim.waitForExit(PROMPT_MS), sidecar.waitForExit(PROMPT_MS)]);

  assert.equal(answer.status, 200, sidecar.output());
  assert.equal(shimExit.code, 0, shim.output());
  assert.equal(sidecarExit.code, 0, sidecar.output());
  assert.equal((await shim.waitForEvent('drain.requested')).source, 'file');
  assert.equal((await readMarker(paths)).reason, 'drained');
});

test('a busy pod keeps the sidecar until the task ends when both containers get SIGTERM', async (t) => {
  const dir = await tempDir(t, 'drainwatch-pod-');
  const { sidecar } = await startSidecar(t, dir);
  const { shim } = await startShim(t, {
    dir, worker: 'shim-one-task', workerArgs: [releaseFile(dir), 'exit'], shimArgs: ['--loop'],
  });
  await shim.waitForEvent('fixture.task_started');
  await sidecar.waitFor(
    (l) => l.event === 'worker.state_changed' && l.state === 'busy', 'busy seen by the sidecar');

  shim.kill('SIGTERM');
  sidecar.kill('SIGTERM');
  await shim.waitForEvent('drain.requested');
  await sidecar.waitForEvent('drain.started');
  const sidecarWaited = isRunning(sidecar);
  await release(dir);
  const [shimExit, sidecarExit] =
    await Promise.all([shim.waitForExit(), sidecar.waitForExit()]);

  assert.ok(sidecarWaited, `the sidecar must wait for the task\n${sidecar.output()}`);
  assert.equal(shimExit.code, 0, shim.output());
  assert.equal(sidecarExit.code, 0, sidecar.output());
  assert.equal(shim.lines.filter((l) => l.event === 'fixture.task_completed').length, 1);
  const released = await sidecar.waitForEvent('sidecar.released');
  assert.ok(['marker', 'final-marker'].includes(released.reason as string), sidecar.output());
});

test('the sidecar gives up on a worker container killed mid-drain after the heartbeat timeout', async (t) => {
  const dir = await tempDir(t, 'drainwatch-pod-');
  const { sidecar } = await startSidecar(t, dir, { DRAINWATCH_HEARTBEAT_TIMEOUT: '1s' });
  const { shim } = await startShim(t, {
    dir, worker: 'shim-one-task', workerArgs: [releaseFile(dir), 'exit'],
    env: { DRAINWATCH_HEARTBEAT_INTERVAL: '200ms' },
  });
  const spawned = await shim.waitForEvent('worker.spawned');
  await shim.waitForEvent('fixture.task_started');
  t.after(() => signalGroup(spawned.pid as number, 'SIGKILL'));

  sidecar.kill('SIGTERM');
  await shim.waitForEvent('drain.requested');
  // The whole container dies at once, as on an OOM kill: shim and worker get SIGKILL.
  shim.kill('SIGKILL');
  signalGroup(spawned.pid as number, 'SIGKILL');
  const sidecarExit = await sidecar.waitForExit();

  assert.notEqual(sidecarExit.code, 0, sidecar.output());
  assert.equal((await sidecar.waitForEvent('sidecar.released')).reason, 'worker-lost');
  await sidecar.waitForEvent('worker.lost');
});

test('a Job-style worker under restart policy Never releases the sidecar without any SIGTERM', async (t) => {
  const dir = await tempDir(t, 'drainwatch-pod-');
  const { sidecar } = await startSidecar(t, dir);
  const { shim, paths } = await startShim(t, {
    dir, worker: 'shim-exits-with', workerArgs: ['0'],
    env: { DRAINWATCH_RESTART_POLICY: 'Never' },
  });

  const [shimExit, sidecarExit] =
    await Promise.all([shim.waitForExit(), sidecar.waitForExit()]);

  assert.equal(shimExit.code, 0, shim.output());
  assert.equal(sidecarExit.code, 0, sidecar.output());
  assert.equal((await readMarker(paths)).final, true);
  assert.equal((await sidecar.waitForEvent('sidecar.released')).reason, 'final-marker');
});

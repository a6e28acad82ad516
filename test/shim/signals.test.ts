import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';

import { tempDir } from '../helpers.js';
import { count, readMarker, startShim, waitForFile } from './shim-harness.js';

test('forwards SIGHUP, SIGUSR1 and SIGUSR2 to the worker process group', async (t) => {
  const { shim } = await startShim(t, { worker: 'shim-records-signals' });
  await shim.waitForEvent('fixture.ready');

  for (const signal of ['SIGHUP', 'SIGUSR1', 'SIGUSR2'] as const) {
    shim.kill(signal);
    await shim.waitFor(
      (l) => l.event === 'fixture.signal' && l.signal === signal, `${signal} at the worker`);
  }
  shim.kill('SIGTERM');
  const exit = await shim.waitForExit();

  assert.equal(exit.code, 143, shim.output());
  assert.equal(count(shim, 'signal.forwarded'), 3, shim.output());
});

test('sends the drain signal to a grandchild the worker left running', async (t) => {
  const dir = await tempDir(t, 'drainwatch-shim-');
  const record = join(dir, 'grandchild-signal');
  const { shim } = await startShim(t, {
    dir, worker: 'shim-leaves-grandchild', workerArgs: [record],
  });
  await shim.waitForEvent('fixture.grandchild_ready');
  await shim.waitForEvent('fixture.waiting');

  shim.kill('SIGTERM');
  const exit = await shim.waitForExit();
  await waitForFile(record);

  assert.equal(exit.code, 143, shim.output());
  assert.equal(await readFile(record, 'utf8'), 'SIGTERM');
});

test('sends SIGKILL to an idle worker that ignores the stop signal past the stop timeout', async (t) => {
  const { shim, paths } = await startShim(t, {
    worker: 'shim-waits', workerArgs: ['ignore'],
    env: { DRAINWATCH_REPORTS_TASKS: 'true', DRAINWATCH_STOP_TIMEOUT: '300ms' },
  });
  await shim.waitForEvent('worker.idle');
  await shim.waitForEvent('fixture.waiting');

  shim.kill('SIGTERM');
  const exit = await shim.waitForExit();

  assert.equal(exit.code, 137, shim.output());
  assert.equal(count(shim, 'fixture.term_ignored'), 1, shim.output());
  assert.equal(count(shim, 'worker.force_killed'), 1, shim.output());
  assert.equal((await readMarker(paths)).signal, 'SIGKILL');
});

test('never sends SIGKILL to a worker that reports nothing, however long it takes', async (t) => {
  const { shim } = await startShim(t, {
    worker: 'shim-waits', workerArgs: ['ignore', '1500'],
    env: { DRAINWATCH_STOP_TIMEOUT: '100ms' },
  });
  await shim.waitForEvent('fixture.waiting');

  shim.kill('SIGTERM');
  const exit = await shim.waitForExit();

  assert.equal(exit.code, 0, shim.output());
  assert.equal(count(shim, 'fixture.term_ignored'), 1, shim.output());
  assert.equal(count(shim, 'worker.force_killed'), 0, shim.output());
});

test('treats a second SIGTERM during a drain as the same drain', async (t) => {
  const { shim } = await startShim(t, {
    worker: 'shim-waits', workerArgs: ['ignore', '3000'],
    env: { DRAINWATCH_STOP_TIMEOUT: '100ms' },
  });
  await shim.waitForEvent('fixture.waiting');

  shim.kill('SIGTERM');
  await shim.waitForEvent('fixture.term_ignored');
  shim.kill('SIGTERM');
  await shim.waitForEvent('drain.repeated');
  const exit = await shim.waitForExit();

  assert.equal(exit.code, 0, shim.output());
  assert.equal(count(shim, 'drain.requested'), 1, shim.output());
  assert.equal(count(shim, 'fixture.term_ignored'), 1, shim.output());
});

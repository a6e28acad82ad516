import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { test } from 'node:test';

import { protocolPaths } from '../../common/protocol.js';

import {
  count, readMarker, release, releaseFile, requestDrainByFile, startShim,
} from './shim-harness.js';
import { tempDir } from '../helpers.js';

/** "Promptly", loosely: far above the expected milliseconds, far below any stop timeout. */
const PROMPT_MS = 5_000;
const LONG_STOP = { DRAINWATCH_STOP_TIMEOUT: '60s' };

test('loop mode lets a busy run finish its task on SIGTERM, starts no new run and exits 0', async (t) => {
  const dir = await tempDir(t, 'drainwatch-shim-');
  const { shim, paths } = await startShim(t, {
    dir, worker: 'shim-one-task', workerArgs: [releaseFile(dir), 'exit'], shimArgs: ['--loop'],
    env: LONG_STOP,
  });
  await shim.waitForEvent('fixture.task_started');

  shim.kill('SIGTERM');
  await shim.waitForEvent('drain.requested');
  await release(dir);
  const exit = await shim.waitForExit();

  assert.equal(exit.code, 0, shim.output());
  assert.equal(count(shim, 'fixture.task_completed'), 1, shim.output());
  assert.equal(count(shim, 'fixture.term'), 0, shim.output());
  assert.equal(count(shim, 'worker.spawned'), 1, shim.output());
  const marker = await readMarker(paths);
  assert.equal(marker.reason, 'drained');
  assert.equal(marker.final, true);
});

test('loop mode stops an idle reporting worker on SIGTERM and exits 0 promptly', async (t) => {
  const { shim, paths } = await startShim(t, {
    worker: 'shim-waits', shimArgs: ['--loop'],
    env: { ...LONG_STOP, DRAINWATCH_REPORTS_TASKS: 'true' },
  });
  await shim.waitForEvent('fixture.waiting');
  await shim.waitForEvent('worker.idle');

  shim.kill('SIGTERM');
  const exit = await shim.waitForExit(PROMPT_MS);

  assert.equal(exit.code, 0, shim.output());
  assert.equal(count(shim, 'worker.stopping'), 1, shim.output());
  assert.equal(count(shim, 'worker.spawned'), 1, shim.output());
  assert.equal((await readMarker(paths)).reason, 'drained');
});

test('supervise mode waits for the task to end when drain.json appears, then stops the worker', async (t) => {
  const dir = await tempDir(t, 'drainwatch-shim-');
  const { shim, paths } = await startShim(t, {
    dir, worker: 'shim-one-task', workerArgs: [releaseFile(dir), 'wait'], env: LONG_STOP,
  });
  await shim.waitForEvent('fixture.task_started');
  await shim.waitForEvent('worker.reports_tasks');

  await requestDrainByFile(paths);
  const requested = await shim.waitForEvent('drain.requested');
  await release(dir);
  const exit = await shim.waitForExit();

  assert.equal(requested.source, 'file');
  assert.equal(exit.code, 0, shim.output());
  const events = shim.events();
  const completed = events.indexOf('fixture.task_completed');
  assert.ok(completed < events.indexOf('fixture.term'), shim.output());
  assert.ok(completed < events.indexOf('worker.stopping'), shim.output());
  const marker = await readMarker(paths);
  assert.deepEqual([marker.reason, marker.final, marker.exitCode], ['drained', true, 0]);
});

test('supervise mode stops an idle reporting worker at once when drain.json appears', async (t) => {
  const { shim, paths } = await startShim(t, {
    worker: 'shim-waits', env: { ...LONG_STOP, DRAINWATCH_REPORTS_TASKS: '1' },
  });
  await shim.waitForEvent('worker.idle');

  await requestDrainByFile(paths);
  const exit = await shim.waitForExit(PROMPT_MS);

  assert.equal(exit.code, 143, shim.output());
  assert.equal(count(shim, 'worker.force_killed'), 0, shim.output());
  const marker = await readMarker(paths);
  assert.deepEqual([marker.reason, marker.final, marker.signal], ['drained', true, 'SIGTERM']);
});

test('notices drain.json by polling when the watch polls', async (t) => {
  const { shim, paths } = await startShim(t, {
    worker: 'shim-waits',
    env: { ...LONG_STOP, DRAINWATCH_REPORTS_TASKS: '1', DRAINWATCH_WATCH_POLL: 'true' },
  });
  await shim.waitForEvent('worker.idle');

  await requestDrainByFile(paths);
  const exit = await shim.waitForExit(PROMPT_MS);

  assert.equal(exit.code, 143, shim.output());
  assert.equal((await shim.waitForEvent('drain.requested')).source, 'file');
});

test('supervise mode passes the drain signal to a worker that reports nothing', async (t) => {
  const { shim, paths } = await startShim(t, {
    worker: 'shim-waits', shimArgs: ['--drain-signal', 'SIGINT'],
  });
  await shim.waitForEvent('fixture.waiting');

  shim.kill('SIGTERM');
  const exit = await shim.waitForExit();

  assert.equal(exit.code, 130, shim.output());
  assert.equal((await shim.waitForEvent('drain.passed_on')).signal, 'SIGINT');
  assert.equal((await readMarker(paths)).signal, 'SIGINT');
});

test('starts no worker when drain.json is already there and writes a final marker', async (t) => {
  const dir = await tempDir(t, 'drainwatch-shim-');
  const paths = protocolPaths(dir);
  await mkdir(paths.stateDir, { recursive: true });
  await requestDrainByFile(paths);

  const { shim } = await startShim(t, { dir, worker: 'shim-waits' });
  const exit = await shim.waitForExit();

  assert.equal(exit.code, 0, shim.output());
  assert.equal(count(shim, 'worker.spawned'), 0, shim.output());
  const marker = await readMarker(paths);
  assert.deepEqual([marker.reason, marker.final, marker.exitCode], ['drained', true, null]);
});

test('loop mode ends a back-off wait at once on SIGTERM and exits 0', async (t) => {
  const { shim, paths } = await startShim(t, {
    worker: 'shim-exits-with', workerArgs: ['3'], shimArgs: ['--loop'],
    env: { DRAINWATCH_LOOP_BACKOFF: '10m', DRAINWATCH_LOOP_BACKOFF_MAX: '10m' },
  });
  await shim.waitForEvent('run.backoff');

  shim.kill('SIGTERM');
  const exit = await shim.waitForExit(PROMPT_MS);

  assert.equal(exit.code, 0, shim.output());
  assert.equal(count(shim, 'worker.spawned'), 1, shim.output());
  assert.equal((await readMarker(paths)).reason, 'drained');
});

test('stops an idle worker with SIGTERM when the drain signal is none', async (t) => {
  const { shim } = await startShim(t, {
    worker: 'shim-waits', shimArgs: ['--drain-signal=none'],
    env: { ...LONG_STOP, DRAINWATCH_REPORTS_TASKS: 'true' },
  });
  await shim.waitForEvent('worker.idle');

  shim.kill('SIGTERM');
  const exit = await shim.waitForExit(PROMPT_MS);

  assert.equal(exit.code, 143, shim.output());
  assert.equal((await shim.waitForEvent('worker.stopping')).signal, 'SIGTERM');
});

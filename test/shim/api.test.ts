import assert from 'node:assert/strict';
import { mkdir, readdir } from 'node:fs/promises';
import { test } from 'node:test';

import { protocolPaths, writeJsonAtomic } from '../../common/protocol.js';
import { createDrainwatch } from '../../worker-shim/api.js';
import { tempDir } from '../helpers.js';
import {
  count, readMarker, release, releaseFile, requestDrainByFile, startShim,
} from './shim-harness.js';

async function shimEnv(t: import('node:test').TestContext) {
  const paths = protocolPaths(await tempDir(t, 'drainwatch-api-'));
  await mkdir(paths.tasksDir, { recursive: true });
  const env = { DRAINWATCH_TASKS_DIR: paths.tasksDir, DRAINWATCH_STATE_FILE: paths.workerState };
  return { paths, env };
}

test('does nothing without the shim environment and still runs tasks', async () => {
  const api = createDrainwatch({});

  const task = api.beginTask('job');
  task.end();
  const value = await api.withTask(() => 42);

  assert.equal(api.enabled, false);
  assert.equal(value, 42);
  assert.equal(api.isDraining(), false);
  assert.equal(typeof api.onDrain(() => assert.fail('no drain without the shim')), 'function');
});

test('keeps one entry in the tasks directory per task in progress', async (t) => {
  const { paths, env } = await shimEnv(t);
  const api = createDrainwatch(env);

  const first = api.beginTask('order 17/a');
  const second = api.beginTask();
  const during = await readdir(paths.tasksDir);
  first.end();
  first.end();
  const after = await readdir(paths.tasksDir);
  second.end();

  assert.equal(during.length, 2);
  assert.ok(during.includes(first.id));
  assert.match(first.id, /order_17_a$/);
  assert.deepEqual(after, [second.id]);
  assert.deepEqual(await readdir(paths.tasksDir), []);
});

test('ends a withTask task when the function throws', async (t) => {
  const { paths, env } = await shimEnv(t);
  const api = createDrainwatch(env);

  await assert.rejects(api.withTask(async () => {
    assert.equal((await readdir(paths.tasksDir)).length, 1);
    throw new Error('task failed');
  }), /task failed/);

  assert.deepEqual(await readdir(paths.tasksDir), []);
});

test('hears of a drain from worker.json turning to draining', async (t) => {
  const { paths, env } = await shimEnv(t);
  const api = createDrainwatch(env, { pollIntervalMs: 50 });
  const heard = new Promise<void>((resolve) => api.onDrain(resolve));

  assert.equal(api.isDraining(), false);
  await writeJsonAtomic(paths.workerState, { version: 1, instance: 'i', state: 'draining' });
  await heard;

  assert.equal(api.isDraining(), true);
});

test('hears of a drain from drain.json and resolves drained()', async (t) => {
  const { paths, env } = await shimEnv(t);
  const api = createDrainwatch(env, { pollIntervalMs: 50 });
  const drained = api.drained();

  await requestDrainByFile(paths);
  await drained;

  assert.equal(api.isDraining(), true);
});

test('a Node worker using the API is seen busy then idle by the shim and hears the drain', async (t) => {
  const dir = await tempDir(t, 'drainwatch-shim-');
  const { shim, paths } = await startShim(t, {
    dir, worker: 'shim-api-worker', workerArgs: [releaseFile(dir)],
    env: { DRAINWATCH_STOP_TIMEOUT: '60s' },
  });
  await shim.waitForEvent('fixture.task_started');
  const busy = await shim.waitFor(
    (l) => l.event === 'worker.busy' && l.reporting === true, 'reported busy');

  await requestDrainByFile(paths);
  await shim.waitForEvent('fixture.drain_heard');
  await release(dir);
  const completed = await shim.waitForEvent('fixture.task_completed');
  const exit = await shim.waitForExit();

  assert.equal(busy.tasks, 1);
  assert.equal(completed.draining, true);
  assert.equal(exit.code, 0, shim.output());
  const events = shim.events();
  const idle = events.lastIndexOf('worker.idle');
  assert.ok(events.indexOf('fixture.task_completed') < idle, shim.output());
  assert.ok(idle < events.indexOf('worker.stopping'), shim.output());
  assert.equal(count(shim, 'worker.force_killed'), 0, shim.output());
  assert.equal((await readMarker(paths)).reason, 'drained');
});

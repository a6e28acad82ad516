// The demo worker against a real RabbitMQ: manual acknowledgement, redelivery after a crash,
// drains by signal and by drainwatch, and the shim's view of its busy state.

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';

import { SHIM_BIN, startNode, tempDir, type LogLine, type Running } from '../helpers.js';
import {
  AMQP_URL, needBroker, publishTasks, readyCount, uniqueQueue, WORKER_BIN,
} from './broker.js';

function finishedIds(run: Running): string[] {
  return run.lines.filter((l) => l.event === 'task.finished').map((l) => String(l.messageId));
}

function startWorker(
  t: Parameters<typeof startNode>[0],
  queue: string,
  pod: string,
  args: string[] = [],
  env: Record<string, string> = {},
): Running {
  return startNode(t, WORKER_BIN, ['--queue', queue, ...args],
    { env: { AMQP_URL, POD_NAME: pod, TASK_MIN: '10ms', TASK_MAX: '20ms', ...env } });
}

test('processes each message once and acknowledges it, leaving the queue empty', async (t) => {
  if (!(await needBroker(t))) return;
  const queue = uniqueQueue(t, 'ack');
  const ids = await publishTasks(queue, [30, 30, 30]);

  const worker = startWorker(t, queue, 'pod-a', ['--message-count', '3', '--timeout', '20s']);
  assert.deepEqual(await worker.waitForExit(), { code: 0, signal: null }, worker.output());

  assert.deepEqual(finishedIds(worker).sort(), [...ids].sort(), worker.output());
  const started = worker.lines.filter((l) => l.event === 'task.started');
  assert.ok(started.every((l) => l.redelivered === false && l.pod === 'pod-a'), worker.output());
  assert.equal(await readyCount(queue), 0);
});

test('redelivers the message of a worker killed mid-task to another worker', async (t) => {
  if (!(await needBroker(t))) return;
  const queue = uniqueQueue(t, 'redeliver');
  // No length in the body: the first worker's task outlasts the test, the second's is short.
  const [id] = await publishTasks(queue, [null]);

  const first = startWorker(t, queue, 'pod-a', [], { TASK_MIN: '10m', TASK_MAX: '10m' });
  const taken = await first.waitForEvent('task.started');
  assert.equal(taken.messageId, id);
  first.kill('SIGKILL');
  await first.waitForExit();

  const second = startWorker(t, queue, 'pod-b', ['--message-count', '1', '--timeout', '20s']);
  assert.deepEqual(await second.waitForExit(), { code: 0, signal: null }, second.output());
  const retaken = second.lines.find((l) => l.event === 'task.started');
  assert.equal(retaken?.messageId, id, second.output());
  assert.equal(retaken?.redelivered, true, second.output());
  assert.deepEqual(finishedIds(second), [id]);
  assert.equal(await readyCount(queue), 0);
});

test('finishes and acknowledges its current task on SIGTERM, then exits 0', async (t) => {
  if (!(await needBroker(t))) return;
  const queue = uniqueQueue(t, 'sigterm');
  const [id] = await publishTasks(queue, [2_000]);

  const worker = startWorker(t, queue, 'pod-a');
  await worker.waitForEvent('task.started');
  worker.kill('SIGTERM');
  assert.deepEqual(await worker.waitForExit(), { code: 0, signal: null }, worker.output());

  assert.deepEqual(finishedIds(worker), [id], worker.output());
  const stopped = await worker.waitForEvent('worker.stopped');
  assert.equal(stopped.reason, 'sigterm');
  assert.equal(await readyCount(queue), 0);
});

test('dies on SIGTERM mid-task with --sigterm exit, and the message goes back', async (t) => {
  if (!(await needBroker(t))) return;
  const queue = uniqueQueue(t, 'naive');
  await publishTasks(queue, [null]);

  const worker = startWorker(t, queue, 'pod-a', ['--sigterm', 'exit'],
    { TASK_MIN: '10m', TASK_MAX: '10m' });
  await worker.waitForEvent('task.started');
  worker.kill('SIGTERM');
  assert.deepEqual(await worker.waitForExit(), { code: 143, signal: null });
  assert.deepEqual(finishedIds(worker), []);

  const next = startWorker(t, queue, 'pod-b', ['--message-count', '1', '--timeout', '20s']);
  const retaken = await next.waitForEvent('task.started');
  assert.equal(retaken.redelivered, true, next.output());
  assert.deepEqual(await next.waitForExit(), { code: 0, signal: null }, next.output());
});

test('exits 0 in --message-count mode when no message comes within --timeout', async (t) => {
  if (!(await needBroker(t))) return;
  const queue = uniqueQueue(t, 'timeout');

  const worker = startWorker(t, queue, 'pod-a', ['--message-count', '1', '--timeout', '300ms']);
  assert.deepEqual(await worker.waitForExit(), { code: 0, signal: null }, worker.output());
  assert.ok(worker.events().includes('worker.wait_timeout'), worker.output());
  assert.deepEqual(finishedIds(worker), []);
});

test('rejects bad settings with exit code 2 and names each bad input', async (t) => {
  const worker = startNode(t, WORKER_BIN, ['--message-count', 'many', '--sigterm', 'ignore'],
    { env: { TASK_MIN: 'soon' } });
  assert.deepEqual(await worker.waitForExit(), { code: 2, signal: null });
  const output = worker.output();
  for (const input of ['--message-count', '--sigterm', 'TASK_MIN']) {
    assert.match(output, new RegExp(`${input} is "`), output);
  }
});

const shimMissing = existsSync(SHIM_BIN) ? false : `${SHIM_BIN} is not built`;

test('reports busy during a task and idle after its ack to the shim', { skip: shimMissing },
  async (t) => {
    if (!(await needBroker(t))) return;
    const queue = uniqueQueue(t, 'shim-busy');
    const dir = await tempDir(t);
    const shim = startShim(t, dir, queue);
    await shim.waitForEvent('worker.consuming');

    const [id] = await publishTasks(queue, [1_500]);
    const busy = await shim.waitForEvent('worker.busy');
    const finished = await shim.waitForEvent('task.finished');
    const idle = await shim.waitFor((l) => l.event === 'worker.idle' && after(shim, l, busy),
      'worker.idle after worker.busy');
    assert.equal(finished.messageId, id);
    assert.ok(after(shim, finished, busy) && after(shim, idle, finished), shim.output());
  });

test('under the shim, a drain lets the current task finish before the worker exits 0',
  { skip: shimMissing }, async (t) => {
    if (!(await needBroker(t))) return;
    const queue = uniqueQueue(t, 'shim-drain');
    const dir = await tempDir(t);
    const shim = startShim(t, dir, queue);
    await shim.waitForEvent('worker.consuming');
    const [id] = await publishTasks(queue, [2_000]);
    await shim.waitForEvent('task.started');

    // The pod's SIGTERM reaches the shim; the shim tells the worker through worker.json.
    shim.kill('SIGTERM');
    assert.deepEqual(await shim.waitForExit(), { code: 0, signal: null }, shim.output());
    assert.deepEqual(finishedIds(shim), [id], shim.output());
    const marker = JSON.parse(await readFile(join(dir, 'kill_sidecar'), 'utf8')) as LogLine;
    assert.equal(marker.reason, 'drained');
    assert.equal(marker.exitCode, 0);
    assert.equal(await readyCount(queue), 0);
  });

function startShim(t: Parameters<typeof startNode>[0], dir: string, queue: string): Running {
  return startNode(t, SHIM_BIN, ['--', process.execPath, WORKER_BIN, '--queue', queue], {
    env: { AMQP_URL, POD_NAME: 'pod-shim', DRAINWATCH_DIR: dir, DRAINWATCH_REPORTS_TASKS: 'true' },
  });
}

/** The shim and the worker share one stdout, so the order of lines is the order of events. */
function after(run: Running, line: LogLine, earlier: LogLine): boolean {
  return run.lines.indexOf(line) > run.lines.indexOf(earlier);
}

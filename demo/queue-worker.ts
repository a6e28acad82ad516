// The demo's queue worker: what a Node worker run by drainwatch-shim looks like. The manifest
// runs it as `drainwatch-shim --loop -- queue-worker --message-count=1 --timeout=1m`: each run
// takes at most one message, works on it, and exits. Around the task it tells drainwatch that
// it is busy (beginTask / end); when a drain begins it takes no new message, and an idle run
// simply exits. Messages come from the demo's file queue; each says how long its task takes.
// In your own worker, import the same functions from 'drainwatch'.

import { setTimeout as sleep } from 'node:timers/promises';

import { beginTask, isDraining, onDrain } from '../worker-shim/api.js';
import { dieWithParent } from './die-with-parent.js';
import { createQueue, recordDone, tryTake, type Message } from './file-queue.js';

const POLL_MS = 100;

function log(event: string, fields: Record<string, unknown> = {}): void {
  console.log(JSON.stringify({ event, ...fields }));
}

function timeoutMs(): number {
  const flag = process.argv.find((a) => a.startsWith('--timeout='))?.slice('--timeout='.length);
  const minutes = /^(\d+)m$/.exec(flag ?? '')?.[1];
  return minutes === undefined ? 60_000 : Number(minutes) * 60_000;
}

const queue = createQueue(process.env.QUEUE_DIR ?? '/tmp/queue');
const pod = process.env.HOSTNAME ?? 'unknown';
let busy = false;

async function work(message: Message): Promise<void> {
  const task = beginTask(message.id); // from here on, drainwatch counts this worker as busy
  busy = true;
  const startedAt = new Date().toISOString();
  log('task.started', { task: message.id, lengthMs: message.durationMs });

  await sleep(message.durationMs ?? 0); // the work itself

  recordDone(queue, { id: message.id, pod, startedAt, endedAt: new Date().toISOString() });
  busy = false;
  task.end(); // acknowledged: the worker is idle again
  log('task.finished', { task: message.id, duringDrain: isDraining() });
}

dieWithParent();
onDrain(() => {
  log('worker.drain_noticed', { busy });
  if (!busy) process.exit(0); // idle: nothing to finish, take no new message
});
process.on('SIGTERM', () => process.exit(busy ? 143 : 0));

const deadline = Date.now() + timeoutMs();
while (!isDraining() && Date.now() < deadline) {
  const message = tryTake(queue, pod);
  if (message) {
    await work(message);
    break; // --message-count=1
  }
  await sleep(POLL_MS);
}
process.exit(0);

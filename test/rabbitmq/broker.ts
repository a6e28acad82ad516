// A real RabbitMQ for the tests: started through scripts/rabbitmq.sh when none listens on
// 127.0.0.1:5672 (the script installs it when missing, and serialises parallel callers).
// Each test gets its own queue, deleted afterwards.

import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { TestContext } from 'node:test';

import { connect, type Options } from 'amqplib';

import { ROOT } from '../helpers.js';

export const AMQP_URL = 'amqp://guest:guest@127.0.0.1:5672';
export const WORKER_BIN = join(ROOT, 'dist', 'examples', 'rabbitmq', 'worker.js');
export const PUBLISHER_BIN = join(ROOT, 'dist', 'examples', 'rabbitmq', 'publisher.js');
const SCRIPT = join(ROOT, 'scripts', 'rabbitmq.sh');
/** Exit code of scripts/rabbitmq.sh when rabbitmq-server cannot be installed. */
const EXIT_NOT_INSTALLABLE = 3;
/** Installing (about 15 s) plus starting (about 8 s), on a loaded machine. */
const START_BOUND_MS = 180_000;

let started: Promise<string | undefined> | undefined;

/** Skips the test (and says why) when no broker can be had; false means "skipped". */
export async function needBroker(t: TestContext): Promise<boolean> {
  const skipReason = await ensureBroker();
  if (skipReason === undefined) return true;
  t.skip(skipReason);
  return false;
}

/**
 * Makes sure a broker is up. Resolves with undefined when it is, or with the reason to skip
 * when RabbitMQ truly cannot be installed here; any other failure rejects.
 */
export function ensureBroker(): Promise<string | undefined> {
  started ??= startBroker();
  return started;
}

async function startBroker(): Promise<string | undefined> {
  try {
    await promisify(execFile)(SCRIPT, ['start'], { timeout: START_BOUND_MS });
    return undefined;
  } catch (err) {
    const failure = err as { code?: unknown; stderr?: string };
    if (failure.code === EXIT_NOT_INSTALLABLE) {
      return `RabbitMQ cannot be installed on this machine: ${failure.stderr?.trim() ?? ''}`;
    }
    throw new Error(`scripts/rabbitmq.sh start failed:\n${failure.stderr ?? String(err)}`);
  }
}

/** A queue name no other test uses; the queue is deleted when the test ends. */
export function uniqueQueue(t: TestContext, label: string): string {
  const queue = `drainwatch-test-${label}-${randomBytes(4).toString('hex')}`;
  t.after(async () => {
    const model = await connect(AMQP_URL);
    const channel = await model.createChannel();
    await channel.deleteQueue(queue);
    await model.close();
  });
  return queue;
}

/**
 * Publishes one persistent message per entry, with confirms; returns the message ids. A number
 * is the task's length in the body; null leaves the length to the worker's TASK_MIN/TASK_MAX.
 */
export async function publishTasks(
  queue: string,
  durationsMs: readonly (number | null)[],
  options: Options.Publish = {},
): Promise<string[]> {
  const model = await connect(AMQP_URL);
  try {
    const channel = await model.createConfirmChannel();
    await channel.assertQueue(queue, { durable: true });
    const prefix = randomBytes(3).toString('hex');
    const ids = durationsMs.map((_, i) => `${prefix}-${i + 1}`);
    durationsMs.forEach((durationMs, i) => {
      const fields = durationMs === null ? {} : { durationMs };
      const body = Buffer.from(JSON.stringify({ messageId: ids[i], ...fields }));
      channel.sendToQueue(queue, body, { messageId: ids[i], persistent: true, ...options });
    });
    await channel.waitForConfirms();
    return ids;
  } finally {
    await model.close();
  }
}

/** Ready and unacknowledged counts are not both available over AMQP; ready is enough here. */
export async function readyCount(queue: string): Promise<number> {
  const model = await connect(AMQP_URL);
  try {
    const channel = await model.createChannel();
    const { messageCount } = await channel.checkQueue(queue);
    return messageCount;
  } finally {
    await model.close();
  }
}

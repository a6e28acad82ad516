// The benchmark's side of RabbitMQ: start the broker through scripts/rabbitmq.sh when none
// listens, report its version, and count and remove what a run left in its queue.

import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { connect } from 'amqplib';

export const AMQP_URL = 'amqp://guest:guest@127.0.0.1:5672';
export const AMQP_PORT = 5672;
/** Installing and starting the broker, on a loaded machine. */
const BROKER_START_BOUND_MS = 180_000;

/** Starts the broker if needed; rejects with the script's own explanation when it cannot. */
export async function ensureBroker(root: string): Promise<void> {
  try {
    await promisify(execFile)(join(root, 'scripts', 'rabbitmq.sh'), ['start'],
      { timeout: BROKER_START_BOUND_MS });
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? String(err);
    throw new Error(`cannot start RabbitMQ with scripts/rabbitmq.sh start:\n${stderr.trim()}`);
  }
}

export async function brokerVersion(): Promise<string> {
  const model = await connect(AMQP_URL);
  try {
    const version = model.connection.serverProperties.version;
    return typeof version === 'string' ? version : 'unknown';
  } finally {
    await model.close();
  }
}

/** Deletes the queue and returns how many ready messages it still held. */
export async function removeQueue(queue: string): Promise<number> {
  const model = await connect(AMQP_URL);
  try {
    const channel = await model.createChannel();
    const { messageCount } = await channel.deleteQueue(queue);
    return messageCount;
  } finally {
    await model.close();
  }
}

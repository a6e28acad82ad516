#!/usr/bin/env node
// A RabbitMQ queue worker that survives rollouts without losing or repeating work, written as
// an example of drainwatch's Node API. Run it under the shim:
//
//   drainwatch-shim -- node dist/examples/rabbitmq/worker.js
//
// What makes it safe:
// - Manual acknowledgement: a message leaves the queue only when its task is done. A worker
//   that dies mid-task has its message redelivered to another worker; nothing is lost.
// - Prefetch 1: the broker hands this worker one message at a time, so a drain never strands
//   a second message that was prefetched but not started.
// - The busy protocol: a task is recorded when its message arrives and ended after the ack,
//   so drainwatch keeps the pod alive exactly while a task is in progress.
// - On drain (drainwatch's, or SIGTERM): cancel the consumer, finish the current task, close
//   the channel and the connection, exit 0.
//
// Every task start and end is one JSON log line (events task.started and task.finished) with
// the message id, delivery tag, redelivered flag and pod name: the rollout benchmark's ledger.

import { randomInt } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

import { connect, type Channel, type ChannelModel, type ConsumeMessage } from 'amqplib';

import { createLogger, type Logger } from '../../common/log.js';
// In your own project: import { beginTask, onDrain } from 'drainwatch';
import { beginTask, onDrain, type Task } from '../../worker-shim/api.js';
import {
  isOptionsError, readWorkerOptions, WORKER_USAGE, type WorkerOptions,
} from './worker-options.js';

const NAME = 'rabbitmq-worker';
const EXIT_USAGE = 2;
const EXIT_BROKER_FAILED = 1;
/** 128 + 15, what a shell reports for a process ended by SIGTERM. */
const EXIT_SIGTERM = 143;

type StopReason = 'drain' | 'sigterm' | 'sigint' | 'message-count' | 'wait-timeout';

class QueueWorker {
  readonly #options: Readonly<WorkerOptions>;
  readonly #log: Logger;
  #model: ChannelModel | undefined;
  #channel: Channel | undefined;
  #consumerTag: string | undefined;
  /** The task in progress, if any; the drain waits for it. */
  #current: Promise<void> | undefined;
  #handled = 0;
  #setup: Promise<void> | undefined;
  #stopping: Promise<void> | undefined;
  #cancelling: Promise<void> | undefined;
  #cancelled = false;
  /** The channel's close, once started (see #closeWithLastAck). */
  #channelClosing: Promise<void> | undefined;
  #waitTimer: NodeJS.Timeout | undefined;
  readonly #stopped: Promise<StopReason>;
  #resolveStopped: (reason: StopReason) => void = () => {};

  constructor(options: Readonly<WorkerOptions>, log: Logger) {
    this.#options = options;
    this.#log = log;
    this.#stopped = new Promise((resolve) => (this.#resolveStopped = resolve));
  }

  /** Connects and consumes; resolves with the reason once the worker has closed cleanly. */
  async run(): Promise<StopReason> {
    this.#setup = this.#connectAndConsume();
    await this.#setup;
    return this.#stopped;
  }

  async #connectAndConsume(): Promise<void> {
    const { amqpUrl, queue } = this.#options;
    // noDelay turns Nagle's algorithm off. With it on, the channel close sent right after an
    // ack waits for the broker's delayed TCP acknowledgement, about 40 ms, on every drain.
    this.#model = await connect(amqpUrl, { noDelay: true });
    // An unexpected close (broker restart, network) is fatal: the unacked message goes back
    // to the queue, and the container's restart policy brings the worker back.
    this.#model.on('close', () => {
      if (this.#stopping === undefined) this.#fail(new Error('connection to the broker closed'));
    });
    this.#model.on('error', (err: Error) => this.#fail(err));
    const channel = await this.#model.createChannel();
    this.#channel = channel;
    await channel.assertQueue(queue, { durable: true });
    // One unacknowledged message at a time: nothing waits in this worker's buffer.
    await channel.prefetch(1);
    // A drain that came while connecting: close without ever taking a message.
    if (this.#stopping !== undefined) return;
    const { consumerTag } = await channel.consume(queue, (message) => this.#onMessage(message),
      { noAck: false });
    this.#consumerTag = consumerTag;
    this.#log.info({ event: 'worker.consuming', queue, pod: this.#options.podName,
      prefetch: 1, messageCount: this.#options.messageCount }, 'consuming');
    this.#armWaitTimeout();
  }

  /** Stops taking messages, lets the current task finish, then closes. Idempotent. */
  stop(reason: StopReason): Promise<void> {
    this.#stopping ??= this.#stop(reason).catch((err: Error) => this.#fail(err));
    return this.#stopping;
  }

  async #stop(reason: StopReason): Promise<void> {
    clearTimeout(this.#waitTimer);
    this.#log.info({ event: 'worker.draining', reason, busy: this.#current !== undefined },
      'stopping: no new messages; finishing the current task');
    // Setup failures are reported by run(); here only its end matters.
    await this.#setup?.catch(() => {});
    await this.#cancel();
    while (this.#current !== undefined) await this.#current;
    // Close the channel first and wait for the broker's answer: that is what guarantees our
    // last ack arrived. Closing only the connection can lose that ack, and with it the task:
    // the message would come back and be done twice.
    await (this.#channelClosing ?? this.#channel?.close());
    await this.#model?.close();
    this.#log.info({ event: 'worker.stopped', reason, handled: this.#handled },
      'worker stopped cleanly');
    this.#resolveStopped(reason);
  }

  /**
   * Cancels the consumer: the broker delivers nothing more. A message it sent before the
   * cancel reached it still arrives and is handled like any other, not thrown back.
   */
  #cancel(): Promise<void> {
    const channel = this.#channel;
    const tag = this.#consumerTag;
    if (channel === undefined || tag === undefined) return Promise.resolve();
    this.#cancelling ??= channel.cancel(tag).then(() => {
      this.#cancelled = true;
    });
    return this.#cancelling;
  }

  #onMessage(message: ConsumeMessage | null): void {
    // null means the broker cancelled the consumer (the queue was deleted).
    if (message === null) {
      void this.stop('drain');
      return;
    }
    clearTimeout(this.#waitTimer);
    // Recorded before anything else happens, synchronously: from here on the pod is busy.
    const task = beginTask(`message-${message.fields.deliveryTag}`);
    this.#handled += 1;
    const last = this.#options.messageCount > 0 && this.#handled >= this.#options.messageCount;
    // The last message of this run: cancel now, before the ack would let the broker send
    // the next one to a worker that is about to leave.
    if (last) this.#cancel().catch((err: Error) => this.#fail(err));
    this.#current = this.#handle(message, task).finally(() => {
      this.#current = undefined;
      if (last) void this.stop('message-count');
      else this.#armWaitTimeout();
    });
  }

  async #handle(message: ConsumeMessage, task: Task): Promise<void> {
    const channel = this.#channel!;
    const ledger = {
      messageId: message.properties.messageId ?? null,
      deliveryTag: message.fields.deliveryTag,
      redelivered: message.fields.redelivered,
      pod: this.#options.podName,
    };
    const durationMs = this.#taskLength(message);
    this.#log.info({ event: 'task.started', ...ledger, durationMs }, 'task started');
    try {
      await sleep(durationMs);
      channel.ack(message);
      this.#closeWithLastAck(channel);
      this.#log.info({ event: 'task.finished', ...ledger, durationMs }, 'task finished');
    } finally {
      // After the ack: a drain that sees the worker idle finds the message settled.
      task.end();
    }
  }

  /**
   * When this was the last task (a drain has begun, or the message count is reached) and the
   * consumer is already cancelled, starts closing the channel in the same tick as the ack, so
   * both frames leave together. Sent apart, the close can wait up to 40 ms behind the ack for
   * a delayed TCP acknowledgement wherever Nagle's algorithm is on along the way (a proxy).
   */
  #closeWithLastAck(channel: Channel): void {
    const last = this.#options.messageCount > 0 && this.#handled >= this.#options.messageCount;
    if (!this.#cancelled || (this.#stopping === undefined && !last)) return;
    this.#channelClosing = channel.close();
    // Awaited by #stop; a failure here is reported there.
    this.#channelClosing.catch(() => {});
  }

  /** The length the publisher asked for (the benchmark's fixed workload), or a random one. */
  #taskLength(message: ConsumeMessage): number {
    try {
      const body = JSON.parse(message.content.toString('utf8')) as { durationMs?: unknown };
      if (typeof body.durationMs === 'number' && body.durationMs >= 0) return body.durationMs;
    } catch {
      // Not JSON: a message from another producer. Its length is drawn like any other.
    }
    const { taskMinMs, taskMaxMs } = this.#options;
    return taskMinMs === taskMaxMs ? taskMinMs : randomInt(taskMinMs, taskMaxMs + 1);
  }

  /** In --message-count mode, give up waiting when no message comes for --timeout. */
  #armWaitTimeout(): void {
    clearTimeout(this.#waitTimer);
    // Not while a task runs: a message can arrive before consume() has even resolved.
    if (this.#options.messageCount === 0 || this.#stopping !== undefined ||
      this.#current !== undefined) return;
    this.#waitTimer = setTimeout(() => {
      this.#log.info({ event: 'worker.wait_timeout', timeoutMs: this.#options.waitTimeoutMs },
        'no message came in time; exiting');
      void this.stop('wait-timeout');
    }, this.#options.waitTimeoutMs);
  }

  #fail(err: Error): never {
    this.#log.fatal({ event: 'worker.broker_failed', err }, 'lost the broker; exiting');
    process.exit(EXIT_BROKER_FAILED);
  }
}

function readOptions(): Readonly<WorkerOptions> | number {
  try {
    return readWorkerOptions(process.argv.slice(2), process.env);
  } catch (err) {
    if (!isOptionsError(err)) throw err;
    process.stderr.write(`${NAME}: ${err.message}\n${WORKER_USAGE}\n`);
    return EXIT_USAGE;
  }
}

async function main(): Promise<number> {
  const options = readOptions();
  if (typeof options === 'number') return options;
  // Synchronous lines: a worker killed mid-task must not lose its task.started line.
  const log = createLogger(NAME, options.logLevel, { sync: true });
  const worker = new QueueWorker(options, log);

  onDrain(() => void worker.stop('drain'));
  if (options.sigterm === 'drain') {
    process.on('SIGTERM', () => void worker.stop('sigterm'));
    process.on('SIGINT', () => void worker.stop('sigint'));
  } else {
    // The naive worker the benchmark compares against: gone at once, mid-task if need be.
    // An explicit handler, because a process without one ignores SIGTERM as a container's
    // PID 1, and would then run on until the kubelet's SIGKILL.
    process.on('SIGTERM', () => {
      log.warn({ event: 'worker.killed_by_sigterm' }, 'exiting at once on SIGTERM');
      process.exit(EXIT_SIGTERM);
    });
  }
  try {
    await worker.run();
    return 0;
  } catch (err) {
    log.fatal({ event: 'worker.failed', err }, 'worker failed');
    return EXIT_BROKER_FAILED;
  }
}

process.exit(await main());

#!/usr/bin/env node
// Keeps the demo queue fed: a steady rate of messages, or a fixed count. Each message has a
// unique id, is persistent (it survives a broker restart on a durable queue) and counts as
// published only once the broker has confirmed it. Every confirmed message is one JSON line
// (event message.published): the other half of the rollout benchmark's ledger.
//
//   node dist/examples/rabbitmq/publisher.js --rate 5 --count 100

import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';

import { connect, type ConfirmChannel } from 'amqplib';

import { createLogger, type Logger } from '../../common/log.js';
import {
  PUBLISHER_USAGE, readPublisherOptions, type PublisherOptions,
} from './publisher-options.js';
import { isOptionsError } from './worker-options.js';

const NAME = 'rabbitmq-publisher';
const EXIT_USAGE = 2;
const EXIT_BROKER_FAILED = 1;

/** A small seeded generator (mulberry32): the same seed gives the same task lengths. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

class Publisher {
  readonly #options: Readonly<PublisherOptions>;
  readonly #log: Logger;
  readonly #random: (() => number) | undefined;
  #stopRequested = false;
  #wake: (() => void) | undefined;
  #published = 0;
  #confirmed = 0;

  constructor(options: Readonly<PublisherOptions>, log: Logger) {
    this.#options = options;
    this.#log = log;
    this.#random = options.taskRange && seededRandom(options.taskRange.seed);
  }

  /** Ends the stream at the next message; what was sent is still confirmed. */
  stop(): void {
    this.#stopRequested = true;
    this.#wake?.();
  }

  async run(): Promise<void> {
    const { amqpUrl, queue, rate, count } = this.#options;
    // Small messages in quick succession: no Nagle delay between them.
    const model = await connect(amqpUrl, { noDelay: true });
    const channel = await model.createConfirmChannel();
    await channel.assertQueue(queue, { durable: true });
    this.#log.info({ event: 'publisher.started', queue, rate, count,
      idPrefix: this.#options.idPrefix }, 'publishing');
    const startedAt = performance.now();
    const pending: Promise<void>[] = [];
    while (!this.#stopRequested && (count === 0 || this.#published < count)) {
      const { accepted, confirmed } = this.#publishOne(channel, this.#published + 1);
      // Marks the rejection as handled here; Promise.all below still reports it.
      confirmed.catch(() => {});
      pending.push(confirmed);
      this.#published += 1;
      // A full socket buffer: wait for it to empty before the next message.
      if (!accepted) await once(channel, 'drain');
      // Paced against the start, not the previous message, so the rate does not drift.
      const dueMs = startedAt + (this.#published * 1000) / rate - performance.now();
      if (dueMs > 0) await this.#pause(dueMs);
    }
    await Promise.all(pending);
    await channel.close();
    await model.close();
    this.#log.info({ event: 'publisher.finished', published: this.#published,
      confirmed: this.#confirmed }, 'all messages confirmed');
  }

  #publishOne(channel: ConfirmChannel, sequence: number) {
    const messageId = `${this.#options.idPrefix}-${sequence}`;
    const body: Record<string, unknown> = { messageId, sequence, publishedAt: new Date() };
    const range = this.#options.taskRange;
    if (range && this.#random) {
      body.durationMs = range.minMs + Math.floor(this.#random() * (range.maxMs - range.minMs + 1));
    }
    let accepted = true;
    const confirmed = new Promise<void>((resolve, reject) => {
      accepted = channel.sendToQueue(this.#options.queue, Buffer.from(JSON.stringify(body)),
        { messageId, persistent: true, contentType: 'application/json' },
        (err: unknown) => {
          if (err) reject(new Error(`the broker did not confirm ${messageId}`, { cause: err }));
          else resolve();
        });
    }).then(() => {
      this.#confirmed += 1;
      this.#log.info({ event: 'message.published', messageId, sequence,
        durationMs: body.durationMs ?? null }, 'message confirmed');
    });
    return { accepted, confirmed };
  }

  #pause(ms: number): Promise<void> {
    const controller = new AbortController();
    this.#wake = () => controller.abort();
    return sleep(ms, undefined, { signal: controller.signal }).catch(() => {}).finally(() => {
      this.#wake = undefined;
    });
  }
}

function readOptions(): Readonly<PublisherOptions> | number {
  try {
    return readPublisherOptions(process.argv.slice(2), process.env);
  } catch (err) {
    if (!isOptionsError(err)) throw err;
    process.stderr.write(`${NAME}: ${err.message}\n${PUBLISHER_USAGE}\n`);
    return EXIT_USAGE;
  }
}

async function main(): Promise<number> {
  const options = readOptions();
  if (typeof options === 'number') return options;
  const log = createLogger(NAME, options.logLevel);
  const publisher = new Publisher(options, log);
  process.on('SIGTERM', () => publisher.stop());
  process.on('SIGINT', () => publisher.stop());
  try {
    await publisher.run();
    return 0;
  } catch (err) {
    log.fatal({ event: 'publisher.failed', err }, 'publishing failed');
    return EXIT_BROKER_FAILED;
  }
}

process.exit(await main());

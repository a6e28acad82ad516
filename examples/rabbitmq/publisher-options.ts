// Settings of the demo publisher. AMQP_URL and QUEUE are shared with the worker; the flags
// shape the stream: how fast, how many, and how long the tasks it asks for take.

import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';

import { EnvReader, type Env } from '../../common/config.js';
import type { LevelWithSilent } from 'pino';
import { DEFAULT_AMQP_URL, DEFAULT_QUEUE, flagDuration, flagInteger } from './worker-options.js';

export interface PublisherOptions {
  amqpUrl: string;
  queue: string;
  logLevel: LevelWithSilent;
  /** Messages per second. */
  rate: number;
  /** Stop after this many messages; 0 means until SIGTERM or SIGINT. */
  count: number;
  /** Message ids are `<prefix>-<sequence>`: unique per run, readable in logs. */
  idPrefix: string;
  /**
   * When set, every message carries `durationMs`, drawn from [min, max] by a generator seeded
   * with `seed`: two runs with the same seed ask for the same work.
   */
  taskRange: { minMs: number; maxMs: number; seed: number } | undefined;
}

export const PUBLISHER_USAGE = `usage: publisher [--queue NAME] [--rate PER_SECOND] [--count N]
                 [--id-prefix TEXT] [--task-min DURATION --task-max DURATION [--seed N]]
environment: AMQP_URL, QUEUE, LOG_LEVEL`;

export function readPublisherOptions(
  argv: readonly string[],
  env: Env,
): Readonly<PublisherOptions> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      queue: { type: 'string' },
      rate: { type: 'string' },
      count: { type: 'string' },
      'id-prefix': { type: 'string' },
      'task-min': { type: 'string' },
      'task-max': { type: 'string' },
      seed: { type: 'string' },
    },
    strict: true,
    allowPositionals: false,
  });
  const read = new EnvReader(env);
  const options: PublisherOptions = {
    amqpUrl: read.string('AMQP_URL', DEFAULT_AMQP_URL),
    queue: values.queue ?? read.string('QUEUE', DEFAULT_QUEUE),
    logLevel: read.logLevel('LOG_LEVEL', 'info'),
    rate: readRate(read, values.rate),
    count: flagInteger(read, '--count', values.count, 0),
    idPrefix: values['id-prefix'] ?? randomBytes(4).toString('hex'),
    taskRange: readTaskRange(read, values['task-min'], values['task-max'], values.seed),
  };
  if (!/^[A-Za-z0-9._-]+$/.test(options.idPrefix)) {
    read.problem('--id-prefix', options.idPrefix, 'letters, digits, ".", "_" or "-"');
  }
  read.finish();
  return Object.freeze(options);
}

function readRate(read: EnvReader, text: string | undefined): number {
  if (text === undefined) return 2;
  const rate = Number(text.trim());
  if (text.trim() === '' || !Number.isFinite(rate) || rate <= 0 || rate > 10_000) {
    read.problem('--rate', text, 'messages per second, a number above 0 and at most 10000');
    return 2;
  }
  return rate;
}

function readTaskRange(
  read: EnvReader,
  minText: string | undefined,
  maxText: string | undefined,
  seedText: string | undefined,
): PublisherOptions['taskRange'] {
  if (minText === undefined && maxText === undefined) {
    if (seedText !== undefined) read.problem('--seed', seedText, 'to be used with --task-min');
    return undefined;
  }
  if (minText === undefined || maxText === undefined) {
    const missing = minText === undefined ? '--task-min' : '--task-max';
    read.problem(missing, undefined, 'a duration: --task-min and --task-max go together');
    return undefined;
  }
  const minMs = flagDuration(read, '--task-min', minText, 1);
  const maxMs = flagDuration(read, '--task-max', maxText, 1);
  if (maxMs < minMs) read.problem('--task-max', maxText, 'a duration no shorter than --task-min');
  const seed = flagInteger(read, '--seed', seedText, 1);
  return { minMs, maxMs, seed };
}

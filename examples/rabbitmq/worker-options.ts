// Settings of the demo worker: the environment for what a Deployment sets per pod, flags for
// what changes the worker's shape (one message per run, how it meets SIGTERM). Every problem
// is collected and reported at once, as the rest of drainwatch does.

import { hostname } from 'node:os';
import { parseArgs } from 'node:util';

import { EnvReader, parseDuration, type Env } from '../../common/config.js';
import { ConfigError } from '../../common/errors.js';
import type { LevelWithSilent } from 'pino';

export const DEFAULT_AMQP_URL = 'amqp://guest:guest@127.0.0.1:5672';
export const DEFAULT_QUEUE = 'drainwatch-demo';

/** What the worker does on SIGTERM: drain like on a drainwatch drain, or die at once. */
export type SigtermBehaviour = 'drain' | 'exit';

export interface WorkerOptions {
  amqpUrl: string;
  queue: string;
  podName: string;
  logLevel: LevelWithSilent;
  /** Bounds of a task's length when the message does not say how long it takes. */
  taskMinMs: number;
  taskMaxMs: number;
  /** Stop after this many messages; 0 means run until drained. */
  messageCount: number;
  /** With a message count: exit when no message came for this long. */
  waitTimeoutMs: number;
  sigterm: SigtermBehaviour;
}

export const WORKER_USAGE = `usage: worker [--queue NAME] [--message-count N [--timeout DURATION]]
              [--sigterm drain|exit]
environment: AMQP_URL, QUEUE, TASK_MIN, TASK_MAX, POD_NAME, LOG_LEVEL`;

export function readWorkerOptions(argv: readonly string[], env: Env): Readonly<WorkerOptions> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      queue: { type: 'string' },
      'message-count': { type: 'string' },
      timeout: { type: 'string' },
      sigterm: { type: 'string' },
    },
    strict: true,
    allowPositionals: false,
  });
  const read = new EnvReader(env);
  const options: WorkerOptions = {
    amqpUrl: read.string('AMQP_URL', DEFAULT_AMQP_URL),
    queue: values.queue ?? read.string('QUEUE', DEFAULT_QUEUE),
    podName: read.string('POD_NAME', hostname()),
    logLevel: read.logLevel('LOG_LEVEL', 'info'),
    taskMinMs: read.duration('TASK_MIN', 1_000, { allowZero: true }),
    taskMaxMs: read.duration('TASK_MAX', 5_000, { allowZero: true }),
    messageCount: flagInteger(read, '--message-count', values['message-count'], 0),
    waitTimeoutMs: flagDuration(read, '--timeout', values.timeout, 30_000),
    sigterm: flagChoice(read, '--sigterm', values.sigterm, ['drain', 'exit'], 'drain'),
  };
  if (options.taskMaxMs < options.taskMinMs) {
    read.problem('TASK_MAX', read.raw('TASK_MAX'), `a duration no shorter than TASK_MIN`);
  }
  if (options.queue === '') read.problem('--queue', values.queue, 'a queue name');
  read.finish();
  return Object.freeze(options);
}

export function flagInteger(
  read: EnvReader, flag: string, text: string | undefined, fallback: number,
): number {
  if (text === undefined) return fallback;
  const value = /^\d+$/.test(text.trim()) ? Number(text.trim()) : NaN;
  if (!Number.isSafeInteger(value)) {
    read.problem(flag, text, 'a whole number of 0 or more');
    return fallback;
  }
  return value;
}

export function flagDuration(
  read: EnvReader, flag: string, text: string | undefined, fallbackMs: number,
): number {
  if (text === undefined) return fallbackMs;
  const ms = parseDuration(text);
  if (ms === undefined || ms <= 0) {
    read.problem(flag, text, 'a duration with a unit, such as "500ms", "30s" or "2m"');
    return fallbackMs;
  }
  return ms;
}

function flagChoice<T extends string>(
  read: EnvReader, flag: string, text: string | undefined, choices: readonly T[], fallback: T,
): T {
  if (text === undefined) return fallback;
  const found = choices.find((c) => c === text.trim());
  if (found === undefined) read.problem(flag, text, `one of ${choices.join(', ')}`);
  return found ?? fallback;
}

/** True for the errors readWorkerOptions and readPublisherOptions throw for bad input. */
export function isOptionsError(err: unknown): err is Error {
  if (err instanceof ConfigError) return true;
  const code = (err as NodeJS.ErrnoException).code;
  return err instanceof TypeError && code !== undefined && code.startsWith('ERR_PARSE_ARGS');
}

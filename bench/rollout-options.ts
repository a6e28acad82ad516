// Settings of the rollout benchmark: the full run by default, or a short run (--short or
// BENCH_ROLLOUT_SHORT=1) that CI can afford and that asserts the safety figures. Flags override
// single values of either.

import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { EnvReader, formatDuration, type Env } from '../common/config.js';
import { flagDuration, flagInteger } from '../examples/rabbitmq/worker-options.js';
import { CONFIGURATIONS, type ConfigurationName } from './rollout-configurations.js';

export interface RolloutBenchOptions {
  short: boolean;
  configurations: readonly ConfigurationName[];
  replicas: number;
  repeats: number;
  /** Task lengths, drawn by the publisher from a seeded generator: the same for every run. */
  taskMinMs: number;
  taskMaxMs: number;
  seed: number;
  /** Messages per second, kept below the workers' capacity so some pods are idle. */
  rate: number;
  /** Publishing before the rollout starts, so that pods are mid-task when it does. */
  warmupMs: number;
  /** How long one run of the shell pattern's worker waits for a message (its --timeout). */
  shellWaitTimeout: string;
  /** Bound on each wait of a run (pods ready, rollout, old pods gone, every message acked). */
  phaseBoundMs: number;
  outDir: string;
  /** File name stem of the results: rollout.md / rollout.json, or rollout-short.*. */
  resultsName: string;
}

const FULL = {
  replicas: 6, taskMinMs: 2_000, taskMaxMs: 10_000, rate: 0.5, warmupMs: 20_000,
  shellWaitTimeout: '1m', phaseBoundMs: 300_000,
};
const SHORT = {
  replicas: 3, taskMinMs: 300, taskMaxMs: 1_500, rate: 1.2, warmupMs: 4_000,
  shellWaitTimeout: '10s', phaseBoundMs: 60_000,
};

export const ROLLOUT_USAGE = `usage: bench-rollout [--short] [--configs a,b,c,d] [--replicas N]
       [--repeats N] [--task-min DURATION] [--task-max DURATION] [--rate PER_SECOND]
       [--warmup DURATION] [--seed N] [--out DIR]
environment: BENCH_ROLLOUT_SHORT=1 is --short`;

export function readRolloutOptions(
  argv: readonly string[],
  env: Env,
  root: string,
): Readonly<RolloutBenchOptions> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      short: { type: 'boolean' },
      configs: { type: 'string' },
      replicas: { type: 'string' },
      repeats: { type: 'string' },
      'task-min': { type: 'string' },
      'task-max': { type: 'string' },
      rate: { type: 'string' },
      warmup: { type: 'string' },
      seed: { type: 'string' },
      out: { type: 'string' },
    },
    strict: true,
    allowPositionals: false,
  });
  const read = new EnvReader(env);
  const short = values.short === true || read.boolean('BENCH_ROLLOUT_SHORT', false);
  const base = short ? SHORT : FULL;
  const options: RolloutBenchOptions = {
    short,
    configurations: readConfigurations(read, values.configs),
    replicas: flagInteger(read, '--replicas', values.replicas, base.replicas),
    repeats: flagInteger(read, '--repeats', values.repeats, 1),
    taskMinMs: flagDuration(read, '--task-min', values['task-min'], base.taskMinMs),
    taskMaxMs: flagDuration(read, '--task-max', values['task-max'], base.taskMaxMs),
    seed: flagInteger(read, '--seed', values.seed, 20261203),
    rate: readRate(read, values.rate, base.rate),
    warmupMs: flagDuration(read, '--warmup', values.warmup, base.warmupMs),
    shellWaitTimeout: base.shellWaitTimeout,
    phaseBoundMs: base.phaseBoundMs,
    outDir: values.out ?? join(root, 'bench', 'results'),
    resultsName: short ? 'rollout-short' : 'rollout',
  };
  if (options.replicas < 1 || options.replicas > 50) {
    read.problem('--replicas', values.replicas, 'a whole number from 1 to 50');
  }
  if (options.repeats < 1) {
    read.problem('--repeats', values.repeats, 'a whole number of 1 or more');
  }
  if (options.taskMaxMs < options.taskMinMs) {
    read.problem('--task-max', values['task-max'] ?? formatDuration(options.taskMaxMs),
      `a duration no shorter than --task-min (${formatDuration(options.taskMinMs)})`);
  }
  read.finish();
  return Object.freeze(options);
}

function readConfigurations(read: EnvReader, text: string | undefined): ConfigurationName[] {
  const all = CONFIGURATIONS.map((c) => c.name);
  if (text === undefined) return all;
  const names = text.split(',').map((n) => n.trim());
  const known = names.filter((n): n is ConfigurationName => all.includes(n as ConfigurationName));
  if (known.length !== names.length || known.length === 0) {
    read.problem('--configs', text, `a comma-separated list of ${all.join(', ')}`);
    return all;
  }
  return known;
}

function readRate(read: EnvReader, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const rate = Number(text.trim());
  if (text.trim() === '' || !Number.isFinite(rate) || rate <= 0 || rate > 1000) {
    read.problem('--rate', text, 'messages per second, a number above 0 and at most 1000');
    return fallback;
  }
  return rate;
}

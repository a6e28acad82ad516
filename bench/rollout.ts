#!/usr/bin/env node
// npm run bench:rollout: rolls out a Deployment of RabbitMQ worker pods in the pod emulator,
// once per configuration (a naive, b shell pattern, c and d drainwatch), interleaved when
// repeated, and prints the figures side by side. Results go to bench/results/ as Markdown and
// JSON. The full run asserts nothing about time; the short run (--short) exits 1 unless c and d
// interrupted no task and no configuration lost a message. docs/benchmark.md has the method.

import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, release, tmpdir, totalmem, type } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { Simulation } from '../podsim/index.js';
import { isOptionsError } from '../examples/rabbitmq/worker-options.js';
import { brokerVersion, ensureBroker } from './rollout-broker.js';
import { configuration } from './rollout-configurations.js';
import { runMetrics, type RunMetrics } from './rollout-metrics.js';
import { readRolloutOptions, ROLLOUT_USAGE, type RolloutBenchOptions } from './rollout-options.js';
import {
  checkTargets, markdownReport, markdownTable, summarise, type Environment, type Summary,
} from './rollout-report.js';
import { runConfiguration, writeBinDir } from './rollout-run.js';

const EXIT_ASSERTION_FAILED = 1;
const EXIT_USAGE = 2;
/** The machine cannot run the emulator or the broker. */
const EXIT_UNAVAILABLE = 3;

/** Repository root, from dist/bench/rollout.js. */
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

function say(text: string): void {
  process.stdout.write(`${text}\n`);
}

async function environment(): Promise<Environment> {
  const readVersion = async (path: string) =>
    (JSON.parse(await readFile(join(ROOT, path), 'utf8')) as { version: string }).version;
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' })
      .trim();
  } catch {
    // Not a git checkout (an unpacked tarball): the version numbers still identify the code.
  }
  return {
    date: new Date().toISOString(),
    machine: {
      os: type(), kernel: release(), cpus: cpus()[0]?.model ?? 'unknown', cpuCount: cpus().length,
      memoryGiB: Math.round(totalmem() / 2 ** 30),
    },
    versions: {
      drainwatch: `${await readVersion('package.json')} (${commit})`,
      node: process.version,
      rabbitmq: await brokerVersion(),
      amqplib: await readVersion('node_modules/amqplib/package.json'),
    },
  };
}

async function runAll(options: Readonly<RolloutBenchOptions>): Promise<RunMetrics[]> {
  const work = await mkdtemp(join(tmpdir(), 'drainwatch-bench-rollout-'));
  // Not under /tmp: the shell pattern's pods mount their own /tmp over the node's, and the
  // programs on their PATH must stay visible.
  const binDir = await mkdtemp(join(ROOT, 'dist', 'bench', 'rollout-bin-'));
  const context = {
    root: ROOT,
    manifestsDir: join(ROOT, 'bench', 'manifests'),
    binDir,
    logsRoot: join(work, 'logs'),
  };
  await writeBinDir(ROOT, context.binDir);
  say(`container logs: ${context.logsRoot}`);
  const metrics: RunMetrics[] = [];
  for (let repeat = 1; repeat <= options.repeats; repeat += 1) {
    for (const name of options.configurations) {
      const config = configuration(name);
      say(`run ${repeat}/${options.repeats}, ${name}. ${config.label} ...`);
      const record = await runConfiguration(config, repeat, options, context);
      const result = runMetrics(record);
      metrics.push(result);
      say(`  ${result.published} published, ${result.interrupted} interrupted, ` +
        `${result.lost} lost, rollout ${result.rolloutWallMs ?? 'n/a'} ms` +
        (result.problems.length > 0 ? `; ${result.problems.join('; ')}` : ''));
    }
  }
  await rm(binDir, { recursive: true, force: true });
  return metrics;
}

async function writeResults(
  options: Readonly<RolloutBenchOptions>,
  env: Environment,
  summaries: Summary[],
  metrics: RunMetrics[],
): Promise<string> {
  const targets = checkTargets(summaries);
  await mkdir(options.outDir, { recursive: true });
  const stem = join(options.outDir, options.resultsName);
  await writeFile(`${stem}.md`, markdownReport(options, env, summaries, targets));
  await writeFile(`${stem}.json`, `${JSON.stringify({ environment: env, parameters: options,
    summaries, targets, runs: metrics }, null, 2)}\n`);
  return stem;
}

/**
 * The short run's assertions: safety only, never time. A bound that ran out in any
 * configuration fails too: the figures of a run that did not finish mean nothing.
 */
function shortRunFailures(summaries: readonly Summary[]): string[] {
  const failures: string[] = [];
  for (const s of summaries) {
    if (s.lost > 0) failures.push(`${s.configuration} lost ${s.lost} message(s)`);
    if (configuration(s.configuration).drainwatch && s.interrupted > 0) {
      failures.push(`${s.configuration} interrupted ${s.interrupted} task(s)`);
    }
    if (s.published === 0) failures.push(`${s.configuration} published nothing`);
    if (s.problems.length > 0) failures.push(`${s.configuration}: ${s.problems.join('; ')}`);
  }
  return failures;
}

async function main(): Promise<number> {
  let options: Readonly<RolloutBenchOptions>;
  try {
    options = readRolloutOptions(process.argv.slice(2), process.env, ROOT);
  } catch (err) {
    if (!isOptionsError(err)) throw err;
    process.stderr.write(`bench-rollout: ${err.message}\n${ROLLOUT_USAGE}\n`);
    return EXIT_USAGE;
  }
  const unavailable = Simulation.namespacesUnavailableReason();
  if (unavailable !== undefined) {
    process.stderr.write(`bench-rollout: the pod emulator cannot run here: ${unavailable}. ` +
      'Run the benchmark as root on Linux.\n');
    return EXIT_UNAVAILABLE;
  }
  try {
    await ensureBroker(ROOT);
  } catch (err) {
    process.stderr.write(`bench-rollout: ${(err as Error).message}\n`);
    return EXIT_UNAVAILABLE;
  }
  const env = await environment();
  const metrics = await runAll(options);
  const summaries = options.configurations.map((name) => summarise(metrics, name)!);
  const stem = await writeResults(options, env, summaries, metrics);
  say('');
  say(markdownTable(summaries));
  say(`\nresults: ${stem}.md, ${stem}.json`);
  if (!options.short) return 0;
  const failures = shortRunFailures(summaries);
  for (const failure of failures) process.stderr.write(`bench-rollout: FAILED: ${failure}\n`);
  return failures.length > 0 ? EXIT_ASSERTION_FAILED : 0;
}

process.exit(await main());

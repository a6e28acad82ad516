#!/usr/bin/env node
// podsim's command line: runs the pods of a manifest file on the emulated node and prints the
// timeline (aligned text, or one JSON object per line with --json). Exit codes: 0 when every
// pod is gone or finished, 1 when podsim cannot run here (namespaces, pod agent), 2 for bad
// flags or manifests, 3 when --max-duration ended the run, 130/143 on SIGINT/SIGTERM, 141 when
// the reader of the timeline went away.

import { resolve } from 'node:path';

import { parseCliArgs, type CliOptions } from './cli-args.js';
import { PodsimError } from './errors.js';
import type { PodsimEvent } from './events.js';
import { Simulation } from './simulation.js';
import { formatEvent } from './timeline.js';

function print(options: CliOptions, event: PodsimEvent): void {
  process.stdout.write(`${options.json ? JSON.stringify(event) : formatEvent(event)}\n`);
}

async function run(options: CliOptions): Promise<number> {
  const simulation = new Simulation({
    images: options.images,
    bins: options.bins.map((dir) => resolve(dir)),
    hostPorts: options.hostPorts,
    backoffScale: options.backoffScale,
    pid1Signals: options.pid1Signals,
    hostPath: process.env.PATH ?? '',
    ...(options.logsDir ? { logsDir: options.logsDir } : {}),
  });
  simulation.onEvent((event) => print(options, event));
  const stopOn = (signal: NodeJS.Signals, code: number) => process.once(signal, () => {
    void simulation.stop().finally(() => process.exit(code));
  });
  stopOn('SIGINT', 130);
  stopOn('SIGTERM', 143);
  // A reader that went away (| head) ends the run the way SIGPIPE ends a shell pipeline.
  process.stdout.on('error', () => {
    void simulation.stop().finally(() => process.exit(141));
  });

  await simulation.loadFile(options.file);
  const hasDeployment = simulation.workloads.some((w) => w.kind === 'Deployment');
  if (options.rolloutAfterMs !== undefined && !hasDeployment) {
    throw new PodsimError('PODSIM_USAGE', `--rollout-after needs a Deployment in ${options.file}`);
  }
  await simulation.start();
  const timers: NodeJS.Timeout[] = [];
  const deleteAll = () => simulation.deleteAll(options.gracePeriod, { force: options.force });
  if (options.rolloutAfterMs !== undefined) {
    timers.push(setTimeout(() => {
      simulation.rollout();
      const afterMs = options.deleteAfterRolloutMs;
      if (afterMs === undefined) return;
      simulation.waitRolloutComplete(undefined, options.maxDurationMs).then(() => {
        timers.push(setTimeout(() => void deleteAll(), afterMs));
      }, () => undefined);
    }, options.rolloutAfterMs));
  }
  if (options.deleteAfterMs !== undefined) {
    timers.push(setTimeout(() => void deleteAll(), options.deleteAfterMs));
  }
  let code = 0;
  try {
    await simulation.waitAllGone(options.maxDurationMs);
  } catch {
    code = 3;
  }
  for (const timer of timers) clearTimeout(timer);
  await simulation.stop();
  return code;
}

async function main(): Promise<void> {
  let options: CliOptions;
  try {
    options = parseCliArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`podsim: ${(err as Error).message}\n`);
    process.exit(2);
  }
  try {
    process.exitCode = await run(options);
  } catch (err) {
    const usageError = err instanceof PodsimError &&
      ['PODSIM_MANIFEST_INVALID', 'PODSIM_IMAGE_UNMAPPED', 'PODSIM_USAGE'].includes(err.code);
    process.stderr.write(`podsim: ${(err as Error).message}\n`);
    process.exit(usageError ? 2 : 1);
  }
}

void main();

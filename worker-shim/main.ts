#!/usr/bin/env node
// drainwatch-shim: the worker container's entrypoint. It runs the worker in its own process
// group, knows whether it is busy, lets it finish its task when the pod drains, and writes the
// completion marker for the sidecar. This file owns the process: arguments, environment,
// signal handlers and the exit code; everything else receives what it needs.

import { ConfigError } from '../common/errors.js';
import { createLogger, type Logger } from '../common/log.js';
import { newInstanceId } from '../common/protocol.js';
import { parseCommandLine, UsageError, USAGE, type CommandLine } from './command-line.js';
import { readShimConfig, type ShimConfig } from './config.js';
import { runLoop } from './loop-mode.js';
import { Shim } from './shim.js';
import { supervise } from './supervise-mode.js';

const NAME = 'drainwatch-shim';
const DRAIN_SIGNALS: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT'];
const FORWARDED_SIGNALS: readonly NodeJS.Signals[] = ['SIGHUP', 'SIGUSR1', 'SIGUSR2'];
/** Exit code for a usage or configuration error, before anything was spawned. */
const EXIT_USAGE = 2;
/** Exit code when the shim itself fails, for instance on an unusable DRAINWATCH_DIR. */
const EXIT_SHIM_FAILED = 1;

function readCommandLine(): CommandLine | number {
  try {
    return parseCommandLine(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`${NAME}: ${err.message}\n`);
    return EXIT_USAGE;
  }
}

function readConfig(line: CommandLine): Readonly<ShimConfig> | number {
  try {
    return readShimConfig(line, process.env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    createLogger(NAME, 'info')
      .error({ event: 'config.invalid', problems: err.problems }, 'invalid configuration');
    process.stderr.write(`${NAME}: ${err.message}\n`);
    return EXIT_USAGE;
  }
}

function installSignalHandlers(shim: Shim): void {
  for (const signal of DRAIN_SIGNALS) {
    process.on(signal, () => shim.requestDrain('signal', signal));
  }
  for (const signal of FORWARDED_SIGNALS) {
    process.on(signal, () => shim.forwardSignal(signal));
  }
}

async function runShim(config: Readonly<ShimConfig>, log: Logger): Promise<number> {
  const instance = newInstanceId();
  log.info({ event: 'shim.started', instance, mode: config.mode, command: config.command,
    args: config.args }, 'shim started');
  log.info({ event: 'config.loaded', config }, 'configuration loaded');

  const shim = new Shim({ config, log, instance, env: process.env });
  installSignalHandlers(shim);
  await shim.prepare();
  return config.mode === 'loop' ? runLoop(shim) : supervise(shim);
}

async function main(): Promise<number> {
  const line = readCommandLine();
  if (typeof line === 'number') return line;
  if (line.help) {
    process.stdout.write(`${USAGE}\nConfiguration and behaviour: docs/shim.md\n`);
    return 0;
  }
  const config = readConfig(line);
  if (typeof config === 'number') return config;

  const log = createLogger(NAME, config.logLevel);
  let exitCode: number;
  try {
    exitCode = await runShim(config, log);
  } catch (err) {
    log.fatal({ event: 'shim.failed', dir: config.dir, err }, 'the shim failed');
    exitCode = EXIT_SHIM_FAILED;
  }
  log.info({ event: 'shim.exiting', exitCode }, 'shim exiting');
  return exitCode;
}

// A promise chain rather than top-level await, so the file also bundles as CommonJS (the single
// executable build).
main().then(
  (exitCode) => process.exit(exitCode),
  (err: unknown) => {
    process.stderr.write(`${NAME}: unexpected failure: ${String(err)}\n`);
    process.exit(EXIT_SHIM_FAILED);
  },
);

#!/usr/bin/env node
// drainwatch-sidecar: the coordinator container. It keeps the pod alive through a drain until
// the worker is done, then exits so the pod leaves Terminating early. See docs/sidecar.md.

import { ConfigError, DrainwatchError } from '../common/errors.js';
import { createLogger, type Logger } from '../common/log.js';
import { parseArgs, USAGE } from './args.js';
import { describeConfig, loadConfig } from './config.js';
import { EXIT } from './exit-codes.js';

const log = createLogger('drainwatch-sidecar', 'info', { sync: true });
/** Until the sidecar exists, signals are kept and replayed: SIGTERM must never kill us. */
const earlySignals: NodeJS.Signals[] = [];
let onSignal = (signal: NodeJS.Signals) => {
  earlySignals.push(signal);
};

async function main(argv: readonly string[]): Promise<number> {
  let invocation;
  try {
    invocation = parseArgs(argv);
  } catch (err) {
    if (!(err instanceof DrainwatchError)) throw err;
    log.fatal({ event: 'usage.invalid', detail: err.message }, 'invalid arguments');
    return EXIT.config;
  }
  if (invocation.kind === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return EXIT.released;
  }
  log.info({ event: 'sidecar.started', node: process.version,
    mode: invocation.command === undefined ? 'coordinate' : 'wrap' }, 'sidecar starting');

  let config;
  try {
    config = await loadConfig(process.env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    log.fatal({ event: 'config.invalid', problems: err.problems, detail: err.message },
      'invalid configuration; nothing was started');
    return EXIT.config;
  }
  log.level = config.logLevel;
  log.info({ event: 'config.loaded', config: describeConfig(config, invocation.command) },
    'configuration loaded');

  // Imported here, after the signal handlers are in place: fastify's import is most of the
  // start-up time, and a SIGTERM during it must start a drain, not kill the process.
  const runtime = await import('./runtime.js');
  const sidecar = new runtime.Sidecar(config, invocation.command, log);
  onSignal = (signal) => sidecar.signal(signal);
  for (const signal of earlySignals.splice(0)) sidecar.signal(signal);
  return sidecar.run();
}

function installSignalHandlers(logger: Logger): void {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      logger.debug({ event: 'signal.received', signal }, 'signal received');
      onSignal(signal);
    });
  }
}

process.on('uncaughtException', (err) => {
  log.fatal({ event: 'sidecar.failed', err }, 'internal failure');
  process.exit(EXIT.internalFailure);
});

installSignalHandlers(log);
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    log.fatal({ event: 'sidecar.failed', err }, 'internal failure');
    process.exit(EXIT.internalFailure);
  },
);

// Command-line arguments: nothing (coordinator only), or `-- COMMAND [ARGS...]` (wrap mode).

import { DrainwatchError } from '../common/errors.js';

export const USAGE = [
  'usage: drainwatch-sidecar                      coordinate only',
  '       drainwatch-sidecar -- COMMAND [ARGS...]  also run COMMAND until the worker is done',
  'Configuration comes from DRAINWATCH_* environment variables (see docs/sidecar.md).',
].join('\n');

export type Invocation =
  | { kind: 'help' }
  | { kind: 'run'; command: readonly string[] | undefined };

export function parseArgs(argv: readonly string[]): Invocation {
  if (argv.length === 0) return { kind: 'run', command: undefined };
  if (argv.length === 1 && (argv[0] === '--help' || argv[0] === '-h')) return { kind: 'help' };
  if (argv[0] !== '--') {
    throw new DrainwatchError('DRAINWATCH_USAGE',
      `unexpected argument "${argv[0]}"; expected no arguments, or "--" followed by the ` +
      `command to wrap, e.g. "drainwatch-sidecar -- envoy -c /etc/envoy.yaml".\n${USAGE}`);
  }
  if (argv.length === 1 || argv[1] === '') {
    throw new DrainwatchError('DRAINWATCH_USAGE',
      '"--" must be followed by the command to wrap, e.g. "drainwatch-sidecar -- envoy".\n' +
      USAGE);
  }
  return { kind: 'run', command: argv.slice(1) };
}

// The shim's command line: a few flags, then `--` and the worker's command. Flags are parsed
// here and checked against the environment in config.ts, so that a bad flag value and a bad
// variable are reported together.

import { DrainwatchError } from '../common/errors.js';

export const USAGE =
  'usage: drainwatch-shim [--loop] [--drain-signal SIGNAL|none] -- COMMAND [ARGS...]';

const SIGNAL_EQ = '--drain-signal=';

export interface CommandLine {
  loop: boolean;
  /** Raw text of --drain-signal, validated with the environment. */
  drainSignal: string | undefined;
  help: boolean;
  command: string;
  args: string[];
}

/** A command line the shim cannot make sense of; the entrypoint prints USAGE and exits 2. */
export class UsageError extends DrainwatchError {
  constructor(problem: string) {
    super('DRAINWATCH_USAGE', `${problem}\n${USAGE}`);
    this.name = 'UsageError';
  }
}

export function parseCommandLine(argv: readonly string[]): CommandLine {
  const separator = argv.indexOf('--');
  const flags = separator < 0 ? argv : argv.slice(0, separator);
  const parsed: CommandLine =
    { loop: false, drainSignal: undefined, help: false, command: '', args: [] };

  for (let i = 0; i < flags.length; i++) {
    const flag = flags[i]!;
    if (flag === '--help' || flag === '-h') parsed.help = true;
    else if (flag === '--loop') parsed.loop = true;
    else if (flag.startsWith(SIGNAL_EQ)) parsed.drainSignal = flag.slice(SIGNAL_EQ.length);
    else if (flag === '--drain-signal') {
      const value = flags[++i];
      if (value === undefined) {
        throw new UsageError('--drain-signal needs a value, such as SIGQUIT or none.');
      }
      parsed.drainSignal = value;
    } else {
      throw new UsageError(`unknown option "${flag}"; the worker's command goes after "--".`);
    }
  }
  if (parsed.help) return parsed;

  const command = separator < 0 ? undefined : argv[separator + 1];
  if (command === undefined || command === '') {
    throw new UsageError('missing the worker command: put it after "--".');
  }
  parsed.command = command;
  parsed.args = argv.slice(separator + 2);
  return parsed;
}

// Parses `podsim run FILE [flags]` into a plain object; every bad flag is an error that names
// the flag, the value and what is expected.

import { parseDuration } from '../common/config.js';
import { PodsimError } from './errors.js';
import { parseImageFlag, type ImageCommand } from './images.js';

export interface CliOptions {
  file: string;
  images: Record<string, ImageCommand>;
  bins: string[];
  hostPorts: number[];
  deleteAfterMs: number | undefined;
  deleteAfterRolloutMs: number | undefined;
  rolloutAfterMs: number | undefined;
  gracePeriod: number | undefined;
  force: boolean;
  json: boolean;
  logsDir: string | undefined;
  backoffScale: number;
  pid1Signals: boolean;
  maxDurationMs: number;
}

export const USAGE = `usage: podsim run FILE [--image NAME=COMMAND]... [--bin DIR]...
       [--host-port N]...
       [--delete-after DURATION] [--rollout-after DURATION] [--delete-after-rollout DURATION]
       [--grace-period N] [--force] [--json]
       [--logs DIR] [--backoff-scale X] [--pid1-signals] [--max-duration DURATION]`;

function usage(message: string): PodsimError {
  return new PodsimError('PODSIM_USAGE', `${message}\n${USAGE}`);
}

function duration(flag: string, text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined) {
    throw usage(`${flag} is "${text}"; expected a duration with a unit, such as "5s" or "1500ms"`);
  }
  return ms;
}

function wholeNumber(flag: string, text: string, min: number, max: number): number {
  const value = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(value >= min && value <= max)) {
    throw usage(`${flag} is "${text}"; expected a whole number from ${min} to ${max}`);
  }
  return value;
}

export function parseCliArgs(argv: readonly string[]): CliOptions {
  const [command, file, ...rest] = argv;
  if (command !== 'run' || file === undefined || file.startsWith('--')) {
    throw usage('podsim needs the "run" command and a manifest file');
  }
  const options: CliOptions = {
    file, images: {}, bins: [], hostPorts: [], deleteAfterMs: undefined,
    deleteAfterRolloutMs: undefined,
    rolloutAfterMs: undefined, gracePeriod: undefined, force: false, json: false,
    logsDir: undefined,
    backoffScale: 1, pid1Signals: false, maxDurationMs: 600_000,
  };
  for (let i = 0; i < rest.length; i += 1) {
    const flag = rest[i]!;
    const value = () => {
      const next = rest[++i];
      if (next === undefined) throw usage(`${flag} needs a value`);
      return next;
    };
    switch (flag) {
      case '--image': {
        const [name, image] = parseImageFlag(value());
        options.images[name] = image;
        break;
      }
      case '--bin': options.bins.push(value()); break;
      case '--host-port': options.hostPorts.push(wholeNumber(flag, value(), 1, 65535)); break;
      case '--delete-after': options.deleteAfterMs = duration(flag, value()); break;
      case '--rollout-after': options.rolloutAfterMs = duration(flag, value()); break;
      case '--delete-after-rollout': options.deleteAfterRolloutMs = duration(flag, value()); break;
      case '--grace-period': options.gracePeriod = wholeNumber(flag, value(), 0, 86400); break;
      case '--json': options.json = true; break;
      case '--force': options.force = true; break;
      case '--logs': options.logsDir = value(); break;
      case '--pid1-signals': options.pid1Signals = true; break;
      case '--max-duration': options.maxDurationMs = duration(flag, value()); break;
      case '--backoff-scale': {
        const text = value();
        const scale = Number(text);
        if (!(scale > 0 && scale <= 1)) {
          throw usage(`--backoff-scale is "${text}"; expected a number above 0 and at most 1`);
        }
        options.backoffScale = scale;
        break;
      }
      default: throw usage(`unknown flag "${flag}"`);
    }
  }
  if (options.deleteAfterRolloutMs !== undefined && options.rolloutAfterMs === undefined) {
    throw usage('--delete-after-rollout needs --rollout-after');
  }
  return options;
}

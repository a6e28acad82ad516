// Parsing of DRAINWATCH_* settings, shared by the sidecar and the shim. A reader collects every
// problem instead of stopping at the first, so a user fixes a manifest once, not once per
// variable. Nothing here reads process.env: the entrypoints pass the environment in.

import { constants } from 'node:os';

import { ConfigError, type ConfigProblem } from './errors.js';
import { LOG_LEVELS } from './log.js';
import type { LevelWithSilent } from 'pino';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DURATION_EXPECTED = 'a duration with a unit, such as "1500ms", "90s", "5m" or "1h"';

/** Parses "1500ms", "90s", "5m", "1h" (and compounds such as "1m30s") into milliseconds. */
export function parseDuration(text: string): number | undefined {
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  let rest = trimmed;
  let totalMs = 0;
  // Compound forms are read unit by unit from the left: "1h30m" is 1h + 30m.
  while (rest !== '') {
    const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)/.exec(rest);
    if (!match) return undefined;
    totalMs += Number(match[1]) * UNIT_MS[match[2]!]!;
    rest = rest.slice(match[0].length);
  }
  return Number.isSafeInteger(Math.round(totalMs)) ? Math.round(totalMs) : undefined;
}

/** Formats milliseconds the way a user would write them, for logs and messages. */
export function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0 && ms !== 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0 && ms !== 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

export type Env = Readonly<Record<string, string | undefined>>;

/**
 * Reads typed values from an environment, recording a problem for each bad one and returning
 * the default in its place so that reading can go on. Call `finish()` to throw them all.
 */
export class EnvReader {
  readonly #env: Env;
  readonly #problems: ConfigProblem[] = [];

  constructor(env: Env) {
    this.#env = env;
  }

  /** The raw value, or undefined when unset or blank (a blank value means "use the default"). */
  raw(name: string): string | undefined {
    const value = this.#env[name];
    return value === undefined || value.trim() === '' ? undefined : value;
  }

  problem(source: string, received: string | undefined, expected: string): void {
    this.#problems.push({ source, received, expected });
  }

  string(name: string, fallback: string): string {
    return this.raw(name)?.trim() ?? fallback;
  }

  duration(name: string, fallbackMs: number, opts: { min?: number; allowZero?: boolean } = {}) {
    const text = this.raw(name);
    if (text === undefined) return fallbackMs;
    const ms = parseDuration(text);
    const min = opts.min ?? (opts.allowZero ? 0 : 1);
    if (ms === undefined || ms < min) {
      const bound = min > 1 ? ` (at least ${formatDuration(min)})` : '';
      const kind = min === 1 ? 'a positive duration' : 'a duration';
      this.problem(name, text, `${kind}${DURATION_EXPECTED.slice('a duration'.length)}${bound}`);
      return fallbackMs;
    }
    return ms;
  }

  integer(name: string, fallback: number, min: number, max: number): number {
    const text = this.raw(name);
    if (text === undefined) return fallback;
    const trimmed = text.trim();
    const value = /^-?\d+$/.test(trimmed) ? Number(trimmed) : NaN;
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      this.problem(name, text, `a whole number from ${min} to ${max}`);
      return fallback;
    }
    return value;
  }

  port(name: string, fallback: number): number {
    return this.integer(name, fallback, 1, 65535);
  }

  boolean(name: string, fallback: boolean): boolean {
    const text = this.raw(name);
    if (text === undefined) return fallback;
    const lower = text.trim().toLowerCase();
    if (['1', 'true', 'yes', 'on'].includes(lower)) return true;
    if (['0', 'false', 'no', 'off'].includes(lower)) return false;
    this.problem(name, text, 'one of true, false, 1, 0, yes, no, on, off');
    return fallback;
  }

  oneOf<T extends string>(name: string, choices: readonly T[], fallback: T): T {
    const text = this.raw(name);
    if (text === undefined) return fallback;
    const found = choices.find((c) => c.toLowerCase() === text.trim().toLowerCase());
    if (found === undefined) {
      this.problem(name, text, `one of ${choices.join(', ')}`);
      return fallback;
    }
    return found;
  }

  logLevel(name: string, fallback: LevelWithSilent): LevelWithSilent {
    return this.oneOf(name, LOG_LEVELS, fallback);
  }

  /** A signal name such as "SIGTERM" or "TERM"; `allowNone` also accepts "none". */
  signal(name: string, fallback: NodeJS.Signals | 'none', allowNone: boolean) {
    const text = this.raw(name);
    if (text === undefined) return fallback;
    const parsed = parseSignal(text, allowNone);
    if (parsed === undefined) {
      const none = allowNone ? ', or "none"' : '';
      this.problem(name, text, `a signal name such as SIGTERM, SIGINT, SIGQUIT or SIGTSTP${none}`);
      return fallback;
    }
    return parsed;
  }

  /** A comma-separated list of exit codes, e.g. "0,143". */
  exitCodes(name: string, fallback: readonly number[]): readonly number[] {
    const text = this.raw(name);
    if (text === undefined) return fallback;
    const parts = text.split(',').map((p) => p.trim());
    const codes = parts.map((p) => (/^\d+$/.test(p) ? Number(p) : NaN));
    if (codes.some((c) => !Number.isInteger(c) || c > 255)) {
      this.problem(name, text, 'a comma-separated list of exit codes from 0 to 255, such as "0,143"');
      return fallback;
    }
    return codes;
  }

  /** Throws one ConfigError listing every problem seen, if there were any. */
  finish(): void {
    if (this.#problems.length > 0) throw new ConfigError(this.#problems);
  }
}

const SIGNAL_NAMES = new Set(Object.keys(constants.signals));

export function parseSignal(text: string, allowNone: boolean): NodeJS.Signals | 'none' | undefined {
  const upper = text.trim().toUpperCase();
  if (allowNone && upper === 'NONE') return 'none';
  const name = upper.startsWith('SIG') ? upper : `SIG${upper}`;
  if (!SIGNAL_NAMES.has(name) || name === 'SIGKILL' || name === 'SIGSTOP') return undefined;
  return name as NodeJS.Signals;
}

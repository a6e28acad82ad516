// The shim's configuration, read once at start-up from the environment and the command line
// (a flag wins over its variable). Every problem is collected and reported together.

import { resolve } from 'node:path';

import { EnvReader, parseSignal, type Env } from '../common/config.js';
import type { LevelWithSilent } from 'pino';
import {
  DEFAULT_DIR, DEFAULT_MARKER_NAME, RESTART_POLICIES, STATE_SUBDIR,
} from '../common/protocol.js';
import type { RestartPolicy } from '../common/protocol.js';
import type { CommandLine } from './command-line.js';

export type ShimMode = 'supervise' | 'loop';
export const SHIM_MODES: readonly ShimMode[] = ['supervise', 'loop'];

export interface ShimConfig {
  dir: string;
  markerName: string;
  logLevel: LevelWithSilent;
  mode: ShimMode;
  /** What passes a drain on to the worker, and stops it when the shim decides to. */
  drainSignal: NodeJS.Signals | 'none';
  stopTimeoutMs: number;
  heartbeatIntervalMs: number;
  restartPolicy: RestartPolicy;
  loopBackoffMs: number;
  loopBackoffMaxMs: number;
  /** Consecutive failed runs after which loop mode gives up; 0 never gives up. */
  loopMaxFailures: number;
  reportsTasks: boolean;
  watchPoll: boolean;
  /** Polling interval of the watcher, and of the backstop re-read of the files. */
  pollIntervalMs: number;
  command: string;
  args: readonly string[];
}

export function readShimConfig(line: CommandLine, env: Env): Readonly<ShimConfig> {
  const read = new EnvReader(env);
  const envMode = read.oneOf('DRAINWATCH_MODE', SHIM_MODES, 'supervise');
  const envSignal = read.signal('DRAINWATCH_DRAIN_SIGNAL', 'SIGTERM', true);

  const config: ShimConfig = {
    // Absolute, because the worker is handed paths below it and may change directory.
    dir: resolve(read.string('DRAINWATCH_DIR', DEFAULT_DIR)),
    markerName: readMarkerName(read),
    logLevel: read.logLevel('DRAINWATCH_LOG_LEVEL', 'info'),
    mode: line.loop ? 'loop' : envMode,
    drainSignal: line.drainSignal === undefined ? envSignal : flagSignal(read, line.drainSignal),
    stopTimeoutMs: read.duration('DRAINWATCH_STOP_TIMEOUT', 10_000),
    heartbeatIntervalMs: read.duration('DRAINWATCH_HEARTBEAT_INTERVAL', 2_000, { min: 10 }),
    restartPolicy: read.oneOf('DRAINWATCH_RESTART_POLICY', RESTART_POLICIES, 'Always'),
    loopBackoffMs: read.duration('DRAINWATCH_LOOP_BACKOFF', 1_000, { allowZero: true }),
    loopBackoffMaxMs: read.duration('DRAINWATCH_LOOP_BACKOFF_MAX', 30_000, { allowZero: true }),
    loopMaxFailures: read.integer('DRAINWATCH_LOOP_MAX_FAILURES', 5, 0, 1_000_000),
    reportsTasks: read.boolean('DRAINWATCH_REPORTS_TASKS', false),
    watchPoll: read.boolean('DRAINWATCH_WATCH_POLL', false),
    pollIntervalMs: read.duration('DRAINWATCH_POLL_INTERVAL', 100, { min: 10 }),
    command: line.command,
    args: line.args,
  };
  if (config.loopBackoffMaxMs < config.loopBackoffMs) {
    read.problem('DRAINWATCH_LOOP_BACKOFF_MAX', read.raw('DRAINWATCH_LOOP_BACKOFF_MAX'),
      'a duration no shorter than DRAINWATCH_LOOP_BACKOFF');
  }
  read.finish();
  return Object.freeze(config);
}

function flagSignal(read: EnvReader, text: string): NodeJS.Signals | 'none' {
  const parsed = parseSignal(text, true);
  if (parsed === undefined) {
    read.problem('--drain-signal', text,
      'a signal name such as SIGTERM, SIGQUIT or SIGTSTP, or "none"');
    return 'SIGTERM';
  }
  return parsed;
}

function readMarkerName(read: EnvReader): string {
  const name = read.string('DRAINWATCH_MARKER', DEFAULT_MARKER_NAME);
  // Readers skip *.tmp names and the state directory is drainwatch's: neither can be the marker.
  const unusable = name.includes('/') || name.includes('\0') || name === '.' || name === '..' ||
    name.endsWith('.tmp') || name === STATE_SUBDIR;
  if (unusable) {
    read.problem('DRAINWATCH_MARKER', name, 'a plain file name without "/", not ending in ".tmp" ' +
      `and not "${STATE_SUBDIR}", such as "${DEFAULT_MARKER_NAME}"`);
    return DEFAULT_MARKER_NAME;
  }
  return name;
}

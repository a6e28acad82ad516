// The sidecar's configuration: every DRAINWATCH_* variable it reads, validated once at start-up.
// All problems are collected and reported together (common/config.ts); the result is frozen.

import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

import { EnvReader, type Env } from '../common/config.js';
import {
  DEFAULT_DIR,
  DEFAULT_MARKER_NAME,
  STATE_SUBDIR,
  protocolPaths,
  type ProtocolPaths,
} from '../common/protocol.js';
import type { LevelWithSilent } from 'pino';

export interface SidecarConfig {
  paths: ProtocolPaths;
  markerName: string;
  port: number;
  /** undefined: all interfaces, "::" with a fallback to 0.0.0.0 where IPv6 is unavailable. */
  host: string | undefined;
  logLevel: LevelWithSilent;
  heartbeatTimeoutMs: number;
  prestopTimeoutMs: number;
  /** 0: no bound of our own; the pod's grace period ends the wait. */
  drainTimeoutMs: number;
  prestopToken: string | undefined;
  watchPoll: boolean;
  pollIntervalMs: number;
  stopTimeoutMs: number;
  childStopSignal: NodeJS.Signals;
  childSuccessCodes: readonly number[];
}

export const DEFAULTS = Object.freeze({
  port: 9797,
  heartbeatTimeoutMs: 10_000,
  // Longer than the grace period of nearly every queue worker: answering earlier would make
  // the kubelet send the hooked container its stop signal while the task still runs.
  prestopTimeoutMs: 3_600_000,
  pollIntervalMs: 100,
  stopTimeoutMs: 10_000,
});

const OFF_WORDS = ['off', 'none', 'disabled'];

/** Reads and checks the environment; throws a ConfigError naming every bad variable. */
export async function loadConfig(env: Env): Promise<SidecarConfig> {
  const reader = new EnvReader(env);
  const dir = resolve(reader.string('DRAINWATCH_DIR', DEFAULT_DIR));
  const markerName = readMarkerName(reader);
  const config: SidecarConfig = {
    paths: protocolPaths(dir, markerName),
    markerName,
    port: reader.integer('DRAINWATCH_PORT', DEFAULTS.port, 0, 65535),
    host: reader.raw('DRAINWATCH_HOST')?.trim(),
    logLevel: reader.logLevel('DRAINWATCH_LOG_LEVEL', 'info'),
    heartbeatTimeoutMs:
      reader.duration('DRAINWATCH_HEARTBEAT_TIMEOUT', DEFAULTS.heartbeatTimeoutMs),
    prestopTimeoutMs: reader.duration('DRAINWATCH_PRESTOP_TIMEOUT', DEFAULTS.prestopTimeoutMs),
    drainTimeoutMs: readDrainTimeout(reader),
    prestopToken: reader.raw('DRAINWATCH_PRESTOP_TOKEN'),
    watchPoll: reader.boolean('DRAINWATCH_WATCH_POLL', false),
    pollIntervalMs: reader.duration('DRAINWATCH_POLL_INTERVAL', DEFAULTS.pollIntervalMs),
    stopTimeoutMs: reader.duration('DRAINWATCH_STOP_TIMEOUT', DEFAULTS.stopTimeoutMs),
    childStopSignal: readStopSignal(reader),
    childSuccessCodes: reader.exitCodes('DRAINWATCH_CHILD_SUCCESS_CODES', [0]),
  };
  const dirProblem = await probeDirectory(dir);
  if (dirProblem !== undefined) {
    reader.problem('DRAINWATCH_DIR', reader.raw('DRAINWATCH_DIR') ?? dir, dirProblem);
  }

  reader.finish();
  return Object.freeze(config);
}

function readMarkerName(reader: EnvReader): string {
  const name = reader.string('DRAINWATCH_MARKER', DEFAULT_MARKER_NAME);
  // The watcher skips *.tmp names and the state directory is ours: neither can be the marker.
  const unusable = name.includes('/') || name.includes('\0') || name === '.' || name === '..' ||
    name.endsWith('.tmp') || name === STATE_SUBDIR;
  if (unusable) {
    reader.problem('DRAINWATCH_MARKER', name,
      `a plain file name without "/", not ending in ".tmp" and not "${STATE_SUBDIR}", ` +
      `such as "${DEFAULT_MARKER_NAME}"`);
    return DEFAULT_MARKER_NAME;
  }
  return name;
}

function readDrainTimeout(reader: EnvReader): number {
  const text = reader.raw('DRAINWATCH_DRAIN_TIMEOUT');
  if (text !== undefined && OFF_WORDS.includes(text.trim().toLowerCase())) return 0;
  return reader.duration('DRAINWATCH_DRAIN_TIMEOUT', 0, { allowZero: true });
}

function readStopSignal(reader: EnvReader): NodeJS.Signals {
  const signal = reader.signal('DRAINWATCH_CHILD_STOP_SIGNAL', 'SIGTERM', false);
  return signal === 'none' ? 'SIGTERM' : signal;
}

/**
 * Creates the directory when missing and proves it is writable by writing and removing a
 * probe file. Returns what was expected when it is not usable.
 */
async function probeDirectory(dir: string): Promise<string | undefined> {
  const probe = join(dir, `.drainwatch-probe-${process.pid}.tmp`);
  try {
    await mkdir(dir, { recursive: true });
    await writeFile(probe, '');
    await rm(probe, { force: true });
    return undefined;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    return `a directory that exists or can be created, and is writable (failed with ${code}); ` +
      'mount the shared emptyDir there or point DRAINWATCH_DIR at it';
  }
}

/** The effective configuration for the config.loaded log line, with the token redacted. */
export function describeConfig(config: SidecarConfig, command: readonly string[] | undefined) {
  return {
    dir: config.paths.dir,
    marker: config.markerName,
    port: config.port,
    host: config.host ?? 'all interfaces',
    logLevel: config.logLevel,
    heartbeatTimeoutMs: config.heartbeatTimeoutMs,
    prestopTimeoutMs: config.prestopTimeoutMs,
    drainTimeoutMs: config.drainTimeoutMs === 0 ? 'off' : config.drainTimeoutMs,
    prestopToken: config.prestopToken === undefined ? 'unset' : '[redacted]',
    watchPoll: config.watchPoll,
    pollIntervalMs: config.pollIntervalMs,
    stopTimeoutMs: config.stopTimeoutMs,
    childStopSignal: config.childStopSignal,
    childSuccessCodes: config.childSuccessCodes,
    command: command ?? null,
  };
}

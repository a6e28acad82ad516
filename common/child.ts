// Runs a child command in its own process group and stops it the way a careful init does:
// a chosen signal to the whole group, then SIGKILL to the group after a bound. Used by the
// shim for the worker and by the sidecar for a wrapped third-party process.

import { spawn } from 'node:child_process';
import { constants } from 'node:os';

import { DrainwatchError } from './errors.js';
import { isErrno } from './protocol.js';

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** The exit code a shell would report: the child's own code, or 128 + n for signal n. */
export function exitCodeOf(exit: ChildExit): number {
  if (exit.code !== null) return exit.code;
  const number = exit.signal === null ? undefined : constants.signals[exit.signal];
  return number === undefined ? 1 : 128 + number;
}

export interface GroupChild {
  pid: number;
  /** Resolves when the group leader exits (other members may live on). */
  exited: Promise<ChildExit>;
  /** The exit once known, for synchronous checks. */
  exit(): ChildExit | undefined;
  /** Sends `signal` to every process of the group; false when none is left (ESRCH). */
  signalGroup(signal: NodeJS.Signals): boolean;
}

export class SpawnError extends DrainwatchError {
  /** 127 when the command was not found, 126 when it could not be executed, as a shell. */
  readonly exitCode: number;

  constructor(command: string, cause: NodeJS.ErrnoException) {
    const notFound = cause.code === 'ENOENT';
    const hint = notFound
      ? 'Check the command name and PATH in the container image.'
      : 'Check that the file is executable (chmod +x) and is not a directory.';
    const reason = cause.code ?? cause.message;
    super('DRAINWATCH_SPAWN_FAILED', `cannot start "${command}": ${reason}. ${hint}`, { cause });
    this.exitCode = notFound ? 127 : 126;
  }
}

export interface SpawnGroupOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/**
 * Starts `command` as the leader of a new process group, with inherited stdio. Resolves once
 * the process runs; rejects with a SpawnError when it cannot be started.
 */
export function spawnGroup(
  command: string,
  args: readonly string[],
  options: SpawnGroupOptions = {},
) {
  return new Promise<GroupChild>((resolve, reject) => {
    // detached makes the child a process-group (and session) leader, so the group can be
    // signalled as one and the pod's SIGTERM to our group never reaches it directly.
    const child = spawn(command, args, {
      stdio: 'inherit',
      detached: true,
      env: options.env,
      cwd: options.cwd,
    });
    let result: ChildExit | undefined;
    const exited = new Promise<ChildExit>((done) => {
      child.once('exit', (code, signal) => {
        result = { code, signal };
        done(result);
      });
    });
    child.once('error', (err: NodeJS.ErrnoException) => reject(new SpawnError(command, err)));
    child.once('spawn', () => {
      const pid = child.pid!;
      resolve({
        pid,
        exited,
        exit: () => result,
        signalGroup: (signal) => signalGroup(pid, signal),
      });
    });
  });
}

export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (err) {
    if (isErrno(err, 'ESRCH')) return false;
    throw err;
  }
}

export interface StopOutcome {
  exit: ChildExit;
  /** true when the stop signal was not enough and SIGKILL ended the child. */
  forced: boolean;
}

/**
 * Sends `signal` to the group and waits up to `timeoutMs` for the leader to exit; then sends
 * SIGKILL to the group. `onForce` is called just before SIGKILL so the caller can log it.
 */
export async function stopGroup(
  child: GroupChild,
  signal: NodeJS.Signals,
  timeoutMs: number,
  onForce: () => void,
): Promise<StopOutcome> {
  const known = child.exit();
  if (known) return { exit: known, forced: false };
  child.signalGroup(signal);
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  const first = await Promise.race([child.exited, timedOut]);
  clearTimeout(timer);
  if (first !== 'timeout') return { exit: first, forced: false };
  onForce();
  child.signalGroup('SIGKILL');
  return { exit: await child.exited, forced: true };
}

// Wrap mode: a third-party sidecar process (a proxy, a log shipper) runs as our child in its
// own process group. The pod's SIGTERM reaches only us and we do not forward it, so the child
// keeps serving the worker until the worker is done; then we stop it ourselves.

import { exitCodeOf, spawnGroup, stopGroup, type GroupChild } from '../common/child.js';
import type { Logger } from '../common/log.js';

export interface WrapOptions {
  stopSignal: NodeJS.Signals;
  stopTimeoutMs: number;
  successCodes: readonly number[];
}

/** Starts the command; rejects with a SpawnError (exitCode 127 or 126) when it cannot. */
export async function startWrapped(command: readonly string[], log: Logger): Promise<GroupChild> {
  const [file, ...args] = command as [string, ...string[]];
  const child = await spawnGroup(file, args);
  log.info({ event: 'child.spawned', pid: child.pid, command }, 'wrapped command started');
  return child;
}

/**
 * Sends the stop signal to the child's group, SIGKILL after the stop timeout, and returns the
 * exit code to report: the child's code (128+n for signal n), 0 when it is a success code.
 */
export async function stopWrapped(child: GroupChild, options: WrapOptions, log: Logger) {
  const startedMs = Date.now();
  const outcome = await stopGroup(child, options.stopSignal, options.stopTimeoutMs, () => {
    log.warn({ event: 'child.force_killed', pid: child.pid, stopSignal: options.stopSignal,
      stopTimeoutMs: options.stopTimeoutMs },
    'wrapped command outlived the stop timeout; SIGKILL');
  });
  const code = exitCodeOf(outcome.exit);
  const mapped = options.successCodes.includes(code) ? 0 : code;
  log.info({ event: 'child.exited', pid: child.pid, exitCode: outcome.exit.code,
    signal: outcome.exit.signal, forced: outcome.forced, reportedExitCode: mapped,
    durationMs: Date.now() - startedMs }, 'wrapped command stopped');
  return mapped;
}

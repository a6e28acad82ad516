// Loop mode: runs the worker command again and again (each run takes a message or a few and
// exits), replacing `while [ ! -f /tmp/kill_me ]; do worker; done`. A drain lets the current
// run finish, or stops it when idle, and starts no new one. Failing runs are retried after a
// doubling delay, and too many failures in a row end the loop so Kubernetes sees a crash loop.

import type { ShimConfig } from './config.js';
import type { Shim } from './shim.js';

export async function runLoop(shim: Shim): Promise<number> {
  const { config, log } = shim;
  let failures = 0;
  let lastSignal: string | null = null;
  let runs = 0;

  while (!shim.draining()) {
    const run = await shim.startRunOrFinish();
    if (typeof run === 'number') return run;
    runs += 1;
    const outcome = await run.outcome;
    await shim.endRun(run);
    lastSignal = outcome.exit.signal;

    if (shim.draining()) {
      // An idle run the shim stopped is a clean end; a run that failed on its own is not.
      const exitCode = outcome.stoppedByShim ? 0 : outcome.exitCode;
      return shim.finish({
        exitCode, markerExitCode: exitCode, signal: lastSignal, reason: 'drained',
      });
    }
    if (outcome.exitCode === 0) {
      failures = 0;
      continue;
    }

    failures += 1;
    log.warn({ event: 'run.failed', exitCode: outcome.exitCode, failures,
      maxFailures: config.loopMaxFailures }, 'worker run failed');
    if (config.loopMaxFailures > 0 && failures >= config.loopMaxFailures) {
      log.error({ event: 'loop.gave_up', exitCode: outcome.exitCode, failures },
        'too many failed runs in a row; giving up');
      return shim.finish({
        exitCode: outcome.exitCode,
        markerExitCode: outcome.exitCode,
        signal: lastSignal,
        reason: 'crash-loop',
      });
    }
    const delayMs = backoffDelay(config, failures);
    log.info({ event: 'run.backoff', delayMs, failures }, 'waiting before the next run');
    await waitOrDrain(shim, delayMs);
  }

  if (runs === 0) return shim.finishUnstarted();
  return shim.finish({ exitCode: 0, markerExitCode: 0, signal: lastSignal, reason: 'drained' });
}

/** The delay after the n-th failure in a row: the first back-off, doubled each time, capped. */
export function backoffDelay(
  config: Pick<ShimConfig, 'loopBackoffMs' | 'loopBackoffMaxMs'>,
  failures: number,
): number {
  const doubled = config.loopBackoffMs * 2 ** Math.min(failures - 1, 30);
  return Math.min(doubled, config.loopBackoffMaxMs);
}

async function waitOrDrain(shim: Shim, delayMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const elapsed = new Promise<void>((resolve) => (timer = setTimeout(resolve, delayMs)));
  await Promise.race([elapsed, shim.whenDrained()]);
  clearTimeout(timer);
}

// Supervise mode: one worker process for the life of the container, as a plain entrypoint
// would run it. The shim exits with the worker's code once it ends, for whatever reason.

import type { Shim } from './shim.js';

export async function supervise(shim: Shim): Promise<number> {
  if (shim.draining()) return shim.finishUnstarted();
  const run = await shim.startRunOrFinish();
  if (typeof run === 'number') return run;

  const outcome = await run.outcome;
  await shim.endRun(run);

  return shim.finish({
    exitCode: outcome.exitCode,
    markerExitCode: outcome.exitCode,
    signal: outcome.exit.signal,
    reason: shim.draining() ? 'drained' : 'exited',
  });
}

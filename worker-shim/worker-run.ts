// One run of the worker process and the drain policy that applies to it. The shim feeds it
// what it knows (drain requested, worker busy, worker reports its tasks); the run decides
// whether to pass the drain on, stop the worker, or leave it alone, and reports how it ended.

import { exitCodeOf, stopGroup, type ChildExit, type GroupChild } from '../common/child.js';
import type { Logger } from '../common/log.js';
import type { ShimMode } from './config.js';

export interface RunOutcome {
  exit: ChildExit;
  exitCode: number;
  /** The shim stopped the worker itself (it was idle during a drain). */
  stoppedByShim: boolean;
  forced: boolean;
}

export interface RunView {
  draining: boolean;
  busy: boolean;
  reporting: boolean;
}

export interface RunOptions {
  mode: ShimMode;
  drainSignal: NodeJS.Signals | 'none';
  stopTimeoutMs: number;
  log: Logger;
}

export class WorkerRun {
  readonly child: GroupChild;
  readonly outcome: Promise<RunOutcome>;
  readonly #options: RunOptions;
  #stop: Promise<boolean> | undefined;
  #passedOn = false;

  constructor(child: GroupChild, options: RunOptions) {
    this.child = child;
    this.#options = options;
    this.outcome = this.#watchExit();
  }

  get pid(): number {
    return this.child.pid;
  }

  apply(view: RunView): void {
    if (!view.draining || this.#stop || this.#passedOn || this.child.exit()) return;
    if (view.reporting) {
      if (!view.busy) this.#stop = this.#stopIdle();
      return;
    }
    // A worker that reports nothing might be in the middle of a task. Loop mode lets the run
    // finish; supervise mode passes the drain on and lets the worker decide when to exit:
    // the shim did not decide to stop it, so there is no SIGKILL behind the signal.
    if (this.#options.mode === 'supervise') this.#passOn();
  }

  #passOn(): void {
    this.#passedOn = true;
    const signal = this.#options.drainSignal;
    if (signal !== 'none') this.child.signalGroup(signal);
    this.#options.log.info({ event: 'drain.passed_on', pid: this.pid, signal: nullIfNone(signal) },
      'drain passed on to the worker; waiting for it to exit');
  }

  async #stopIdle(): Promise<boolean> {
    const { drainSignal, stopTimeoutMs, log } = this.#options;
    // "none" keeps the worker free of signals while it may be working; an idle worker that is
    // to leave now still needs one.
    const signal = drainSignal === 'none' ? 'SIGTERM' : drainSignal;
    log.info({ event: 'worker.stopping', pid: this.pid, signal, timeoutMs: stopTimeoutMs },
      'stopping the idle worker');
    const stopped = await stopGroup(this.child, signal, stopTimeoutMs, () => {
      log.warn({ event: 'worker.force_killed', pid: this.pid, timeoutMs: stopTimeoutMs },
        'worker did not stop in time; sending SIGKILL to its process group');
    });
    return stopped.forced;
  }

  async #watchExit(): Promise<RunOutcome> {
    const exit = await this.child.exited;
    const stoppedByShim = this.#stop !== undefined;
    const forced = stoppedByShim ? await this.#stop! : false;
    const exitCode = exitCodeOf(exit);
    this.#options.log.info({
      event: 'worker.exited', pid: this.pid, exitCode, code: exit.code, signal: exit.signal,
      stoppedByShim, forced,
    }, 'worker exited');
    return { exit, exitCode, stoppedByShim, forced };
  }
}

function nullIfNone(signal: NodeJS.Signals | 'none'): NodeJS.Signals | null {
  return signal === 'none' ? null : signal;
}

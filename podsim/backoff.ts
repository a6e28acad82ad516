// CrashLoopBackOff as the kubelet keys it per container: the first restart is immediate, then
// 10 s, 20 s, 40 s ... capped at 300 s, reset once a run lasted 10 minutes. `scale` multiplies
// every duration so tests need not wait real seconds.

export const BACKOFF_BASE_MS = 10_000;
export const BACKOFF_MAX_MS = 300_000;
export const BACKOFF_RESET_MS = 600_000;

export class CrashLoopBackOff {
  readonly #scale: number;
  #restarts = 0;

  constructor(scale: number) {
    this.#scale = scale;
  }

  /** The wait before the next restart, given how long the last run lasted. */
  next(ranMs: number): number {
    if (ranMs >= BACKOFF_RESET_MS * this.#scale) this.#restarts = 0;
    const delayMs = this.#restarts === 0 ? 0 :
      Math.min(BACKOFF_BASE_MS * 2 ** (this.#restarts - 1), BACKOFF_MAX_MS);
    this.#restarts += 1;
    return Math.round(delayMs * this.#scale);
  }
}

// Exit codes of drainwatch-sidecar, documented in docs/sidecar.md. In wrap mode a normal
// release exits with the wrapped command's code instead (0 when listed as a success code).

export const EXIT = Object.freeze({
  /** Released: the worker is done (marker after a drain, or a final marker). */
  released: 0,
  internalFailure: 1,
  /** Bad configuration or arguments; nothing was bound, watched or spawned. */
  config: 2,
  /** Released because the worker's heartbeat stopped during the drain (protocol rule 4). */
  workerLost: 3,
  /** DRAINWATCH_DRAIN_TIMEOUT ran out before the worker was done. */
  drainTimeout: 4,
});

// The pod's effective grace period G, as the API server and the kubelet compute it
// (spec A2-A5): a delete option overrides the spec, a later delete may only shorten it, and
// the kubelet never uses less than 1 second for a pod termination.

export const DEFAULT_GRACE_SECONDS = 30;

/** The grace the API server records for a delete (A2, A4 without --force). */
export function deletionGrace(specSeconds: number | undefined, requested: number | undefined) {
  const spec = specSeconds ?? DEFAULT_GRACE_SECONDS;
  if (requested === undefined || requested < 0) return spec;
  // kubectl rewrites --grace-period=0 without --force to 1 (A4).
  return requested === 0 ? 1 : requested;
}

/** A second delete on a terminating pod only applies when shorter (A3, A5 step 2). */
export function shortenedGrace(current: number, requested: number): number {
  return Math.min(current, requested);
}

/** The kubelet's floor: "we always supply a grace period of 1" (A5 step 5). */
export function kubeletGrace(deletionSeconds: number): number {
  return Math.max(1, deletionSeconds);
}

/** The minimum window between the stop signal and SIGKILL (B3 step 5). */
export const MINIMUM_STOP_SECONDS = 2;

// The body of GET /status: one JSON object describing where the sidecar stands.

import type { Coordinator } from './coordinator.js';

function iso(ms: number | undefined): string | null {
  return ms === undefined ? null : new Date(ms).toISOString();
}

export function statusBody(coordinator: Coordinator) {
  const worker = coordinator.worker;
  const drain = coordinator.drain;
  const release = coordinator.release;
  const busy = coordinator.busy;
  return {
    phase: coordinator.phase,
    since: iso(coordinator.phaseSinceMs),
    ready: coordinator.isReady(),
    worker: {
      instance: worker?.instance ?? null,
      state: worker?.state ?? null,
      activity: busy === undefined ? 'unknown' : busy ? 'busy' : 'idle',
      tasks: coordinator.tasks,
      since: worker?.since ?? null,
      heartbeatAgeMs: coordinator.heartbeatAgeMs() ?? null,
    },
    drain: drain === undefined
      ? null
      : { startedAt: iso(drain.requestedAtMs), reason: drain.reason, resumed: drain.resumed },
    release: release === undefined ? null : { reason: release.reason, at: iso(release.atMs) },
  };
}

// Prometheus metrics for /metrics. prom-client is imported on the first scrape, not at
// start-up: it is the second-largest import and most sidecars are scraped late or never.
// The values live in the coordinator; each gauge reads them when collected.

import type { Registry } from 'prom-client';

import { MARKER_KINDS, RELEASE_REASONS, type Coordinator } from './coordinator.js';

export interface MetricsSource {
  coordinator: Coordinator;
  prestopWaiting: () => number;
}

export interface MetricsText {
  contentType: string;
  body: string;
}

export class SidecarMetrics {
  #registry: Promise<Registry> | undefined;
  readonly #source: MetricsSource;

  constructor(source: MetricsSource) {
    this.#source = source;
  }

  async render(): Promise<MetricsText> {
    const registry = await (this.#registry ??= this.#build());
    return { contentType: registry.contentType, body: await registry.metrics() };
  }

  async #build(): Promise<Registry> {
    const prom = await import('prom-client');
    // A registry of our own, without the default process metrics: they cost memory and time
    // on every scrape, and the kubelet already reports the container's resource use.
    const registry = new prom.Registry();
    const { coordinator } = this.#source;
    const source = this.#source;
    const registers = [registry];
    new prom.Gauge({
      name: 'drainwatch_sidecar_phase', help: 'Current phase (1 for the active one)',
      labelNames: ['phase'], registers,
      collect() {
        for (const phase of ['running', 'draining', 'released']) {
          this.set({ phase }, coordinator.phase === phase ? 1 : 0);
        }
      },
    });
    new prom.Gauge({
      name: 'drainwatch_sidecar_drain_started_timestamp_seconds',
      help: 'Unix time the drain started; 0 while none', registers,
      collect() {
        const drain = coordinator.drain;
        this.set(drain === undefined ? 0 : drain.requestedAtMs / 1000);
      },
    });
    new prom.Gauge({
      name: 'drainwatch_sidecar_drain_duration_seconds',
      help: 'Seconds since the drain started (until release); 0 while none', registers,
      collect() {
        const drain = coordinator.drain;
        const endMs = coordinator.release?.atMs ?? Date.now();
        this.set(drain === undefined ? 0 : (endMs - drain.requestedAtMs) / 1000);
      },
    });
    new prom.Gauge({
      name: 'drainwatch_sidecar_worker_busy',
      help: 'Whether the worker has a task in progress (1) or not (0)', registers,
      collect() {
        this.set(coordinator.busy === true ? 1 : 0);
      },
    });
    new prom.Gauge({
      name: 'drainwatch_sidecar_worker_heartbeat_age_seconds',
      help: 'Age of the worker heartbeat in worker.json; NaN when no worker.json was seen',
      registers,
      collect() {
        const ageMs = coordinator.heartbeatAgeMs();
        this.set(ageMs === undefined ? Number.NaN : ageMs / 1000);
      },
    });
    new prom.Gauge({
      name: 'drainwatch_sidecar_prestop_waiting',
      help: 'GET /prestop requests held open now', registers,
      collect() {
        this.set(source.prestopWaiting());
      },
    });
    new prom.Counter({
      name: 'drainwatch_sidecar_markers_seen_total',
      help: 'Distinct completion markers seen, by kind', labelNames: ['kind'], registers,
      collect() {
        this.reset();
        for (const kind of MARKER_KINDS) {
          this.inc({ kind }, coordinator.counters.markersSeen[kind]);
        }
      },
    });
    new prom.Counter({
      name: 'drainwatch_sidecar_releases_total',
      // At most one release per process: visible to scrapes between release and exit.
      help: 'Releases by reason (worker-lost and drain-timeout are forced exits)',
      labelNames: ['reason'], registers,
      collect() {
        this.reset();
        for (const reason of RELEASE_REASONS) {
          this.inc({ reason }, coordinator.release?.reason === reason ? 1 : 0);
        }
      },
    });
    new prom.Counter({
      name: 'drainwatch_sidecar_tasks_cut_off_total',
      help: 'Tasks still in progress when the worker was lost or the drain timed out',
      registers,
      collect() {
        this.reset();
        this.inc(coordinator.counters.tasksCutOff);
      },
    });
    return registry;
  }
}

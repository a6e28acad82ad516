// The sidecar's state machine: running -> draining -> released (or running -> released on a
// final marker). It applies the protocol rules (docs/protocol.md) to snapshots of the
// coordination directory and to the clock; it does no I/O of its own, so it can be driven by
// tests without files, HTTP or timers. The runtime feeds it snapshots and ticks.

import type { Logger } from '../common/log.js';
import type {
  CompletionMarker,
  DrainReason,
  DrainRequest,
  ReadResult,
  WorkerState,
} from '../common/protocol.js';

export type Phase = 'running' | 'draining' | 'released';
export type ReleaseReason = 'marker' | 'final-marker' | 'worker-lost' | 'drain-timeout';
export type MarkerKind = 'current' | 'stale' | 'plain' | 'invalid';

export const MARKER_KINDS: readonly MarkerKind[] = ['current', 'stale', 'plain', 'invalid'];
export const RELEASE_REASONS: readonly ReleaseReason[] =
  ['marker', 'final-marker', 'worker-lost', 'drain-timeout'];

/** What the directory holds at one moment. */
export interface Snapshot {
  worker: ReadResult<WorkerState>;
  marker: ReadResult<CompletionMarker>;
  drain: ReadResult<DrainRequest>;
  /** Entries in drainwatch/tasks/: tasks in progress. */
  tasks: number;
}

export interface Release {
  reason: ReleaseReason;
  atMs: number;
  /** The instance whose marker released, when known. */
  instance: string | null;
  /** Tasks still listed when the worker was lost or the drain timed out. */
  tasksCutOff: number;
}

export interface Drain {
  requestedAtMs: number;
  reason: DrainReason;
  /** true when found in drain.json (written by another tool) rather than started here. */
  resumed: boolean;
}

export interface Counters {
  markersSeen: Record<MarkerKind, number>;
  tasksCutOff: number;
}

export interface CoordinatorOptions {
  heartbeatTimeoutMs: number;
  drainTimeoutMs: number;
  now: () => number;
  log: Logger;
  /** Called once when a drain starts here (not when resumed): persist drain.json. */
  onDrainStarted: (drain: Drain) => void;
  /** Called once, on release. */
  onReleased: (release: Release) => void;
}

const RUNNING_STATES = new Set(['starting', 'idle', 'busy']);

export class Coordinator {
  readonly counters: Counters = {
    markersSeen: { current: 0, stale: 0, plain: 0, invalid: 0 },
    tasksCutOff: 0,
  };
  #phase: Phase = 'running';
  #phaseSinceMs: number;
  #drain: Drain | undefined;
  #release: Release | undefined;
  #worker: WorkerState | undefined;
  #tasks = 0;
  #marker: ReadResult<CompletionMarker> = { kind: 'absent' };
  #heartbeatStale = false;
  #lastMarkerKey = '';
  #lastWorkerProblem = '';
  #lastWorkerKey = '';
  readonly #options: CoordinatorOptions;

  constructor(options: CoordinatorOptions) {
    this.#options = options;
    this.#phaseSinceMs = options.now();
  }

  get phase(): Phase {
    return this.#phase;
  }

  get drain(): Drain | undefined {
    return this.#drain;
  }

  get release(): Release | undefined {
    return this.#release;
  }

  get worker(): WorkerState | undefined {
    return this.#worker;
  }

  get phaseSinceMs(): number {
    return this.#phaseSinceMs;
  }

  get tasks(): number {
    return this.#tasks;
  }

  /** Busy when a task is listed in tasks/ or worker.json says so; undefined when unknown. */
  get busy(): boolean | undefined {
    if (this.#tasks > 0) return true;
    if (this.#worker === undefined) return undefined;
    return this.#worker.state === 'busy';
  }

  heartbeatAgeMs(): number | undefined {
    if (this.#worker === undefined) return undefined;
    return Math.max(0, this.#options.now() - Date.parse(this.#worker.heartbeatAt));
  }

  /**
   * Ready while running and the worker runs: worker.json says starting, idle or busy with a
   * fresh heartbeat, or no worker.json was ever seen (a worker without the shim has no state
   * to report, and holding such pods unready would stall every rollout).
   */
  isReady(): boolean {
    if (this.#phase !== 'running' || this.#heartbeatStale) return false;
    return this.#worker === undefined || RUNNING_STATES.has(this.#worker.state);
  }

  /** Starts the drain; false when one already began (or the sidecar is released). */
  startDrain(reason: DrainReason): boolean {
    if (this.#phase !== 'running') return false;
    const drain: Drain = { requestedAtMs: this.#options.now(), reason, resumed: false };
    this.#enterDrain(drain);
    this.#options.onDrainStarted(drain);
    // A marker already present counts now that the drain has begun (level-triggered).
    if (!this.#takeMarker(this.#marker)) this.evaluate();
    return true;
  }

  /** Applies one snapshot of the directory, then re-evaluates the release rules. */
  observe(snapshot: Snapshot): void {
    if (this.#phase === 'released') return;
    this.#tasks = snapshot.tasks;
    this.#takeWorker(snapshot.worker);
    this.#takeDrainRequest(snapshot.drain);
    if (this.#takeMarker(snapshot.marker)) return;
    this.evaluate();
  }

  /** Re-checks the clock-driven rules: heartbeat age and the drain timeout. */
  evaluate(): void {
    if (this.#phase === 'released') return;
    const now = this.#options.now();
    const drain = this.#drain;
    const { drainTimeoutMs } = this.#options;
    if (drain !== undefined && drainTimeoutMs > 0 && now - drain.requestedAtMs >= drainTimeoutMs) {
      this.#options.log.warn({ event: 'drain.timeout', drainTimeoutMs, tasks: this.#tasks,
        busy: this.busy ?? null }, 'drain timeout reached; giving up waiting for the worker');
      this.#releaseWith('drain-timeout', null, this.#tasks);
      return;
    }
    this.#checkHeartbeat();
  }

  /** Milliseconds until the drain timeout fires, or undefined when there is none pending. */
  drainDeadlineInMs(): number | undefined {
    if (this.#drain === undefined || this.#options.drainTimeoutMs === 0) return undefined;
    const end = this.#drain.requestedAtMs + this.#options.drainTimeoutMs;
    return Math.max(0, end - this.#options.now());
  }

  #checkHeartbeat(): void {
    const ageMs = this.heartbeatAgeMs();
    if (ageMs === undefined) return;
    const stale = ageMs > this.#options.heartbeatTimeoutMs;
    const log = this.#options.log;
    if (stale && this.#phase === 'draining') {
      log.warn({ event: 'worker.lost', instance: this.#worker?.instance, heartbeatAgeMs: ageMs,
        heartbeatTimeoutMs: this.#options.heartbeatTimeoutMs, tasks: this.#tasks },
      'worker heartbeat lost during the drain; releasing without a marker');
      this.#releaseWith('worker-lost', this.#worker?.instance ?? null, this.#tasks);
      return;
    }
    if (stale && !this.#heartbeatStale) {
      log.warn({ event: 'heartbeat.stale', instance: this.#worker?.instance, heartbeatAgeMs: ageMs,
        heartbeatTimeoutMs: this.#options.heartbeatTimeoutMs }, 'worker heartbeat is stale');
    } else if (!stale && this.#heartbeatStale) {
      log.info({ event: 'heartbeat.recovered', instance: this.#worker?.instance,
        heartbeatAgeMs: ageMs }, 'worker heartbeat is fresh again');
    }
    this.#heartbeatStale = stale;
  }

  #enterDrain(drain: Drain): void {
    this.#drain = drain;
    this.#setPhase('draining');
    this.#options.log.info({ event: 'drain.started', reason: drain.reason, resumed: drain.resumed,
      requestedAt: new Date(drain.requestedAtMs).toISOString(), busy: this.busy ?? null,
      tasks: this.#tasks }, 'drain started; waiting for the worker to finish');
  }

  #takeWorker(result: ReadResult<WorkerState>): void {
    const log = this.#options.log;
    if (result.kind === 'invalid' && result.problem !== this.#lastWorkerProblem) {
      log.warn({ event: 'worker.invalid', problem: result.problem },
        'worker.json is not a valid drainwatch body; keeping the last known state');
    }
    this.#lastWorkerProblem = result.kind === 'invalid' ? result.problem : '';
    // A missing or unreadable worker.json keeps the last known state: the shim removes its
    // file at start-up before writing the new one, and the old instance stays current until then.
    if (result.kind !== 'valid') return;
    const previous = this.#worker;
    this.#worker = result.body;
    const key = `${result.body.instance}/${result.body.state}`;
    if (key === this.#lastWorkerKey) return;
    this.#lastWorkerKey = key;
    log.info({ event: 'worker.state_changed', instance: result.body.instance,
      state: result.body.state, previousState: previous?.state ?? null,
      newInstance: previous !== undefined && previous.instance !== result.body.instance },
    'worker state changed');
  }

  #takeDrainRequest(result: ReadResult<DrainRequest>): void {
    if (this.#phase !== 'running' || result.kind === 'absent') return;
    // The runtime removes drain.json left by an earlier start before the first read, so one seen
    // here was written by another tool while we run: honour it as a drain request.
    const requestedAtMs = result.kind === 'valid' ? Date.parse(result.body.requestedAt) : NaN;
    const reason: DrainReason = result.kind === 'valid' && result.body.reason === 'sigterm'
      ? 'sigterm'
      : 'prestop';
    if (result.kind !== 'valid') {
      this.#options.log.warn({ event: 'drain.invalid',
        problem: result.kind === 'invalid' ? result.problem : 'file is empty' },
      'drain.json is not a valid drainwatch body; resuming the drain from now');
    }
    const now = this.#options.now();
    this.#enterDrain({
      requestedAtMs: Number.isNaN(requestedAtMs) ? now : Math.min(requestedAtMs, now),
      reason,
      resumed: true,
    });
  }

  /** Classifies the marker and releases when the rules allow; true when released. */
  #takeMarker(result: ReadResult<CompletionMarker>): boolean {
    this.#marker = result;
    if (result.kind === 'absent') {
      this.#lastMarkerKey = '';
      return false;
    }
    const current = this.#worker?.instance;
    const body = result.kind === 'valid' ? result.body : undefined;
    let kind: MarkerKind;
    if (result.kind === 'invalid') kind = 'invalid';
    else if (body === undefined) kind = 'plain';
    else kind = current === undefined || body.instance === current ? 'current' : 'stale';
    this.#noteMarker(kind, result, current);
    if (kind === 'stale') return false;
    if (kind === 'current' && body?.final === true) {
      this.#releaseWith('final-marker', body.instance, 0);
      return true;
    }
    if (this.#phase === 'draining') {
      this.#releaseWith('marker', body?.instance ?? null, 0);
      return true;
    }
    return false;
  }

  #noteMarker(kind: MarkerKind, result: ReadResult<CompletionMarker>, current?: string): void {
    const body = result.kind === 'valid' ? result.body : undefined;
    const problem = result.kind === 'invalid' ? result.problem : undefined;
    const key = `${kind}/${body?.instance ?? ''}/${body?.time ?? ''}/${problem ?? ''}`;
    if (key === this.#lastMarkerKey) return;
    this.#lastMarkerKey = key;
    this.counters.markersSeen[kind] += 1;
    const log = this.#options.log;
    const fields = { kind, instance: body?.instance ?? null, currentInstance: current ?? null,
      final: body?.final ?? null, reason: body?.reason ?? null, phase: this.#phase };
    if (kind === 'invalid') {
      log.warn({ event: 'marker.invalid', ...fields, problem },
        'completion marker body is not a drainwatch marker; treating it as a plain marker');
    } else if (kind === 'stale') {
      log.info({ event: 'marker.stale', ...fields },
        'completion marker names an earlier worker instance; ignoring it');
    } else {
      log.info({ event: 'marker.seen', ...fields }, 'completion marker seen');
    }
  }

  #releaseWith(reason: ReleaseReason, instance: string | null, tasksCutOff: number): void {
    const release: Release = { reason, atMs: this.#options.now(), instance, tasksCutOff };
    this.#release = release;
    this.counters.tasksCutOff += tasksCutOff;
    this.#setPhase('released');
    const drainMs = this.#drain === undefined ? null : release.atMs - this.#drain.requestedAtMs;
    this.#options.log.info({ event: 'sidecar.released', reason, instance, drainDurationMs: drainMs,
      tasksCutOff }, 'sidecar released');
    this.#options.onReleased(release);
  }

  #setPhase(phase: Phase): void {
    this.#phase = phase;
    this.#phaseSinceMs = this.#options.now();
  }
}

// The demo's readable output: one timeline merging the emulator's events (the kubelet and the
// Deployment controller) with the key lines of the sidecar's, the shim's and the worker's logs,
// and a summary per old pod. Pods get short labels (old-1, new-2) in order of creation.

import type { ContainerLogLine, PodsimEvent } from '../podsim/index.js';

export interface TimelineEntry {
  t: number;
  pod?: string;
  who: string;
  what: string;
}

export interface PodSummary {
  label: string;
  pod: string;
  state: 'busy' | 'idle';
  deletionToGoneMs: number;
  interrupted: boolean;
}

type Describe = (fields: Record<string, unknown>) => string | undefined;

/** Container log lines worth a place in the timeline, by `event`. */
const LOG_LINES: Record<string, Describe> = {
  'drain.started': (f) => `drain started (${String(f.reason)}): ` +
    (Number(f.tasks) > 0 ? `worker busy with ${String(f.tasks)} task(s), holding the pod` :
      'no task in progress, waiting only for the worker to stop'),
  'drain.requested': (f) => `shim heard the drain (${String(f.source)})`,
  'worker.stopping': () => 'shim stops the worker: no task left',
  'worker.drain_noticed': (f) => (f.busy ? 'worker: drain noticed, finishing the task first' :
    'worker: drain noticed while idle, exiting'),
  'task.started': (f) => `worker: task ${String(f.task)} started ` +
    `(${Math.round(Number(f.lengthMs) / 1000)} s of work)`,
  'task.finished': (f) => `worker: task ${String(f.task)} finished` +
    (f.duringDrain ? ' (during the drain)' : ''),
  'marker.written': (f) => `shim wrote the completion marker (${String(f.reason)})`,
  'sidecar.released': (f) => `sidecar released: ${String(f.reason)}` +
    (f.drainDurationMs === null ? '' : ` after a ${seconds(Number(f.drainDurationMs))} drain`),
  'worker.lost': () => 'sidecar: worker heartbeat lost',
  'drain.timeout': () => 'sidecar: drain timeout reached',
};

const EVENTS: Record<string, Describe> = {
  RolloutStarted: (f) => `rollout to revision ${String(f.revision)} started`,
  RolloutComplete: (f) => `rollout to revision ${String(f.revision)} complete`,
  PodReady: (f) => (f.ready ? 'pod Ready' : undefined),
  PodTerminating: (f) => `deleted: Terminating, grace period ${String(f.graceSeconds)} s`,
  Exited: (f) => `container ${String(f.container)} exited with code ${String(f.exitCode)}`,
  Signal: (f) => (f.signal === 'SIGKILL' ? `SIGKILL to ${String(f.container)}` :
    `${String(f.signal)} to ${String(f.container)}`),
  PodDeleted: () => 'pod gone',
};

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

export class Timeline {
  readonly entries: TimelineEntry[] = [];
  readonly #labels = new Map<string, string>();
  #oldCount = 0;
  #newCount = 0;

  /** Pods created before the rollout are "old", the others "new". */
  label(pod: string, isOld: boolean): string {
    let label = this.#labels.get(pod);
    if (!label) {
      label = isOld ? `old-${(this.#oldCount += 1)}` : `new-${(this.#newCount += 1)}`;
      this.#labels.set(pod, label);
    }
    return label;
  }

  labelOf(pod: string): string {
    return this.#labels.get(pod) ?? pod;
  }

  takeEvent(event: PodsimEvent): void {
    const what = EVENTS[event.event]?.(event);
    if (what === undefined) return;
    const who = event.event.startsWith('Rollout') ? 'deployment' : 'kubelet';
    this.entries.push({ t: event.t, pod: event.pod, who, what });
  }

  /**
   * `wallClockAtZeroMs` is the wall-clock time of the emulator's t = 0: a line that carries its
   * own `time` (the programs' pino lines) is placed by it, since output from two containers can
   * reach the emulator in a different order than it was written.
   */
  takeLog(line: ContainerLogLine, wallClockAtZeroMs: number): void {
    let fields: Record<string, unknown>;
    try {
      fields = JSON.parse(line.line) as Record<string, unknown>;
    } catch {
      return;
    }
    const what = typeof fields.event === 'string' ? LOG_LINES[fields.event]?.(fields) : undefined;
    if (what === undefined) return;
    const written = typeof fields.time === 'string' ? Date.parse(fields.time) : NaN;
    const t = Number.isNaN(written) ? line.t : written - wallClockAtZeroMs;
    this.entries.push({ t, pod: line.pod, who: line.container, what });
  }

  /** The entries from `fromMs` on, one aligned line each. */
  render(fromMs: number): string[] {
    return this.entries
      .filter((e) => e.t >= fromMs)
      .sort((a, b) => a.t - b.t)
      .map((e) => {
        const who = e.pod === undefined ? '' : this.labelOf(e.pod);
        return `${`${((e.t - fromMs) / 1000).toFixed(2)}s`.padStart(8)}  ${who.padEnd(6)} ` +
          `${e.who.padEnd(10)} ${e.what}`;
      });
  }
}

export function renderSummary(pods: PodSummary[]): string[] {
  const lines = pods.map((p) => `  ${p.label.padEnd(6)} ${p.state.padEnd(5)} deletion to exit ` +
    `${seconds(p.deletionToGoneMs).padStart(7)}   ` +
    (p.interrupted ? 'TASK INTERRUPTED' : p.state === 'busy' ? 'task completed, not interrupted' :
      'no task in progress'));
  const interrupted = pods.filter((p) => p.interrupted).length;
  return [
    ...lines,
    interrupted === 0 ? 'No task was interrupted.' : `${interrupted} task(s) were interrupted.`,
  ];
}

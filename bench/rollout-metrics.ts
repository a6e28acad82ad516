// The figures of one run, from its record: the task ledger (who started and finished what,
// when) against the emulator's timeline (when each old pod was deleted and when it was gone).

import type { ConfigurationName } from './rollout-configurations.js';
import type { PodLife, RunRecord, TaskLine } from './rollout-run.js';

export interface Distribution {
  n: number;
  p50Ms: number | null;
  p95Ms: number | null;
  maxMs: number | null;
}

export interface RunMetrics {
  configuration: ConfigurationName;
  repeat: number;
  published: number;
  /** Deliveries started and not finished by the same pod: the pod went mid-task. */
  interrupted: number;
  /** Messages whose task finished more than once. */
  processedTwice: number;
  /** Published and confirmed, never acknowledged, and not in the queue at the end. */
  lost: number;
  leftInQueue: number;
  /** Rollout start to the Deployment's RolloutComplete (every new pod Ready). */
  rolloutCompleteMs: number | null;
  /** Rollout start to the exit of the last old pod: the rollout's wall time. */
  rolloutWallMs: number | null;
  terminatingPodSeconds: number;
  /** Pods idle when deleted: deletion to exit. */
  idleSamplesMs: number[];
  /** Pods busy when deleted: end of their last task to exit. */
  busySamplesMs: number[];
  /** Pods busy when deleted whose task never finished there. */
  busyCutShort: number;
  /**
   * Tasks old pods started after their deletion: the shell pattern's idle runs keep consuming;
   * under drainwatch, a delivery that raced the drain by a few milliseconds.
   */
  startedAfterDeletion: number;
  problems: string[];
}

export function runMetrics(record: RunRecord): RunMetrics {
  const finishedCount = new Map<string, number>();
  for (const task of record.tasks) {
    if (task.event !== 'task.finished') continue;
    finishedCount.set(task.messageId, (finishedCount.get(task.messageId) ?? 0) + 1);
  }
  const acked = new Set(finishedCount.keys());
  const unacked = record.published.filter((id) => !acked.has(id)).length;

  const idleSamplesMs: number[] = [];
  const busySamplesMs: number[] = [];
  let busyCutShort = 0;
  for (const pod of record.oldPods) {
    const sample = podSample(pod, record.tasks.filter((t) => t.pod === pod.name));
    if (sample.kind === 'idle') idleSamplesMs.push(sample.ms);
    else if (sample.kind === 'busy') busySamplesMs.push(sample.ms);
    else if (sample.kind === 'cut') busyCutShort += 1;
  }
  const since = (t: number | undefined) => (t === undefined ? null : t - record.rolloutStartedAt);
  return {
    configuration: record.configuration,
    repeat: record.repeat,
    published: record.published.length,
    interrupted: pairTasks(record.tasks).unfinished.length,
    processedTwice: [...finishedCount.values()].filter((n) => n > 1).length,
    lost: Math.max(0, unacked - record.leftInQueue),
    leftInQueue: record.leftInQueue,
    rolloutCompleteMs: since(record.rolloutCompletedAt),
    rolloutWallMs: since(record.oldPodsGoneAt),
    terminatingPodSeconds: record.oldPods.reduce((sum, p) =>
      sum + (p.deletedAt !== undefined && p.exitedAt !== undefined ?
        (p.exitedAt - p.deletedAt) / 1000 : 0), 0),
    idleSamplesMs,
    busySamplesMs,
    busyCutShort,
    startedAfterDeletion: record.oldPods.reduce((sum, pod) => sum + record.tasks.filter((t) =>
      t.pod === pod.name && t.event === 'task.started' && pod.deletedAt !== undefined &&
      t.t > pod.deletedAt).length, 0),
    problems: record.problems,
  };
}

interface Pairing {
  /** [started, finished] of each completed delivery. */
  completed: Array<[TaskLine, TaskLine]>;
  unfinished: TaskLine[];
}

/** Matches each task start with the next finish of the same message in the same pod. */
function pairTasks(tasks: readonly TaskLine[]): Pairing {
  const open = new Map<string, TaskLine>();
  const completed: Array<[TaskLine, TaskLine]> = [];
  for (const task of [...tasks].sort((x, y) => x.t - y.t)) {
    const key = `${task.pod}\u0000${task.messageId}`;
    if (task.event === 'task.started') {
      open.set(key, task);
    } else {
      const start = open.get(key);
      if (start) completed.push([start, task]);
      open.delete(key);
    }
  }
  return { completed, unfinished: [...open.values()] };
}

type PodSample = { kind: 'idle' | 'busy'; ms: number } | { kind: 'cut' | 'unknown' };

function podSample(pod: PodLife, tasks: readonly TaskLine[]): PodSample {
  if (pod.deletedAt === undefined || pod.exitedAt === undefined) return { kind: 'unknown' };
  const deletedAt = pod.deletedAt;
  const { completed, unfinished } = pairTasks(tasks);
  const runningAtDeletion = [
    ...completed.filter(([start, end]) => start.t <= deletedAt && end.t > deletedAt),
    ...unfinished.filter((start) => start.t <= deletedAt).map((start) => [start] as const),
  ];
  if (runningAtDeletion.length === 0) return { kind: 'idle', ms: pod.exitedAt - deletedAt };
  if (runningAtDeletion.some((pair) => pair.length === 1)) return { kind: 'cut' };
  const lastEnd = Math.max(...completed.map(([, end]) => end.t));
  return { kind: 'busy', ms: pod.exitedAt - lastEnd };
}

/** Nearest-rank percentiles: with few samples, p95 is the largest but one or the largest. */
export function distribution(samples: readonly number[]): Distribution {
  if (samples.length === 0) return { n: 0, p50Ms: null, p95Ms: null, maxMs: null };
  const sorted = [...samples].sort((x, y) => x - y);
  const rank = (p: number) => sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)]!;
  return { n: sorted.length, p50Ms: rank(0.5), p95Ms: rank(0.95), maxMs: sorted.at(-1)! };
}

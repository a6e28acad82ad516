// Turns the runs' figures into the results: one summary per configuration, the targets checked
// against them, and the Markdown and JSON written to bench/results/.

import { configuration, type ConfigurationName } from './rollout-configurations.js';
import { distribution, type Distribution, type RunMetrics } from './rollout-metrics.js';
import type { RolloutBenchOptions } from './rollout-options.js';

export interface Summary {
  configuration: ConfigurationName;
  label: string;
  runs: number;
  published: number;
  interrupted: number;
  processedTwice: number;
  lost: number;
  leftInQueue: number;
  /** Medians over the runs. */
  rolloutWallMs: number | null;
  rolloutCompleteMs: number | null;
  /** Mean over the runs. */
  terminatingPodSeconds: number;
  idle: Distribution;
  busy: Distribution;
  busyCutShort: number;
  startedAfterDeletion: number;
  problems: string[];
}

export interface Target {
  text: string;
  /** null when the figures needed are missing (a configuration was not run). */
  met: boolean | null;
  detail: string;
}

export interface Environment {
  date: string;
  machine: { os: string; kernel: string; cpus: string; cpuCount: number; memoryGiB: number };
  versions: Record<string, string>;
}

export function summarise(
  runs: readonly RunMetrics[],
  name: ConfigurationName,
): Summary | undefined {
  const mine = runs.filter((r) => r.configuration === name);
  if (mine.length === 0) return undefined;
  const sum = (pick: (r: RunMetrics) => number) => mine.reduce((s, r) => s + pick(r), 0);
  return {
    configuration: name,
    label: configuration(name).label,
    runs: mine.length,
    published: sum((r) => r.published),
    interrupted: sum((r) => r.interrupted),
    processedTwice: sum((r) => r.processedTwice),
    lost: sum((r) => r.lost),
    leftInQueue: sum((r) => r.leftInQueue),
    rolloutWallMs: median(mine.map((r) => r.rolloutWallMs)),
    rolloutCompleteMs: median(mine.map((r) => r.rolloutCompleteMs)),
    terminatingPodSeconds: sum((r) => r.terminatingPodSeconds) / mine.length,
    idle: distribution(mine.flatMap((r) => r.idleSamplesMs)),
    busy: distribution(mine.flatMap((r) => r.busySamplesMs)),
    busyCutShort: sum((r) => r.busyCutShort),
    startedAfterDeletion: sum((r) => r.startedAfterDeletion),
    problems: mine.flatMap((r) => r.problems.map((p) => `run ${r.repeat}: ${p}`)),
  };
}

function median(values: ReadonlyArray<number | null>): number | null {
  const known = values.filter((v): v is number => v !== null).sort((x, y) => x - y);
  if (known.length === 0) return null;
  const middle = Math.floor(known.length / 2);
  return known.length % 2 === 1 ? known[middle]! :
    Math.round((known[middle - 1]! + known[middle]!) / 2);
}

const FAST_MS = 500;
const FACTOR = 10;

/** The targets the brief sets for drainwatch (c and d), checked against the summaries. */
export function checkTargets(summaries: ReadonlyArray<Summary>): Target[] {
  const find = (name: ConfigurationName) => summaries.find((s) => s.configuration === name);
  const shell = find('b');
  const targets: Target[] = [];
  for (const name of ['c', 'd'] as const) {
    const s = find(name);
    const label = `${name} (${configuration(name).label})`;
    targets.push(check(`${label}: 0 interrupted and 0 lost`, s,
      (x) => [x.interrupted === 0 && x.lost === 0,
        `${x.interrupted} interrupted, ${x.lost} lost`]));
    for (const kind of ['idle', 'busy'] as const) {
      const what = kind === 'idle' ? 'idle pods, deletion to exit' :
        'busy pods, end of last task to exit';
      targets.push(check(`${label}: p95 < ${FAST_MS} ms for ${what}`, s, (x) => {
        const p95 = x[kind].p95Ms;
        return [p95 === null ? null : p95 < FAST_MS, `p95 ${ms(p95)} (n=${x[kind].n})`];
      }));
      targets.push(check(`${label}: ${what} at least ${FACTOR}x faster than b at p95`, s, (x) => {
        const ours = x[kind].p95Ms;
        const theirs = shell?.[kind].p95Ms ?? null;
        if (ours === null || theirs === null) return [null, 'no figure for one side'];
        return [ours * FACTOR <= theirs, `${ms(ours)} vs ${ms(theirs)}`];
      }));
    }
    targets.push(check(`${label}: rollout wall time no worse than b`, s, (x) => {
      const theirs = shell?.rolloutWallMs ?? null;
      if (x.rolloutWallMs === null || theirs === null) return [null, 'no figure for one side'];
      return [x.rolloutWallMs <= theirs, `${ms(x.rolloutWallMs)} vs ${ms(theirs)}`];
    }));
  }
  return targets;
}

function check(
  text: string,
  summary: Summary | undefined,
  judge: (s: Summary) => [boolean | null, string],
): Target {
  if (!summary) return { text, met: null, detail: 'configuration not run' };
  const [met, detail] = judge(summary);
  return { text, met, detail };
}

function ms(value: number | null): string {
  if (value === null) return 'n/a';
  return value >= 10_000 ? `${(value / 1000).toFixed(1)} s` : `${Math.round(value)} ms`;
}

function dist(d: Distribution): string {
  return d.n === 0 ? 'n/a (n=0)' : `${ms(d.p50Ms)} / ${ms(d.p95Ms)} (n=${d.n})`;
}

export function markdownTable(summaries: readonly Summary[]): string {
  const rows = [
    '| configuration | interrupted | processed twice | lost | rollout wall time ' +
    '| rollout complete | pod-seconds Terminating | idle: deletion to exit p50 / p95 ' +
    '| busy: task end to exit p50 / p95 | busy pods cut short | tasks started after deletion |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const s of summaries) {
    rows.push(`| ${s.configuration}. ${s.label} | ${s.interrupted} | ${s.processedTwice} ` +
      `| ${s.lost} | ${ms(s.rolloutWallMs)} | ${ms(s.rolloutCompleteMs)} ` +
      `| ${s.terminatingPodSeconds.toFixed(1)} | ${dist(s.idle)} | ${dist(s.busy)} ` +
      `| ${s.busyCutShort} | ${s.startedAfterDeletion} |`);
  }
  return rows.join('\n');
}

export function markdownReport(
  options: Readonly<RolloutBenchOptions>,
  environment: Environment,
  summaries: readonly Summary[],
  targets: readonly Target[],
): string {
  const mark = (met: boolean | null) => (met === null ? 'n/a' : met ? 'met' : 'NOT met');
  const problems = summaries.flatMap((s) => s.problems.map((p) => `- ${s.configuration}, ${p}`));
  const versions = Object.entries(environment.versions).map(([k, v]) => `${k} ${v}`).join(', ');
  return [
    `# Rollout benchmark${options.short ? ' (short run)' : ''}`,
    '',
    `Run ${environment.date} with \`npm run bench:rollout${options.short ? ' -- --short' : ''}\`.`,
    'Method and definitions: [docs/benchmark.md](../../docs/benchmark.md).',
    '',
    `- Machine: ${environment.machine.os}, kernel ${environment.machine.kernel}, ` +
      `${environment.machine.cpuCount} x ${environment.machine.cpus}, ` +
      `${environment.machine.memoryGiB} GiB`,
    `- Versions: ${versions}`,
    `- Parameters: ${options.replicas} replicas, ${options.repeats} run(s) per configuration ` +
      `(interleaved), tasks ${ms(options.taskMinMs)} to ${ms(options.taskMaxMs)} (seed ` +
      `${options.seed}), ${options.rate} messages/s, warm-up ${ms(options.warmupMs)}, ` +
      `shell-pattern wait ${options.shellWaitTimeout}, rolling update maxSurge 1, ` +
      'maxUnavailable 0',
    '',
    markdownTable(summaries),
    '',
    'Messages published per configuration: ' +
      summaries.map((s) => `${s.configuration} ${s.published}`).join(', ') + '.',
    '',
    '## Targets (c and d)',
    '',
    ...targets.map((t) => `- ${mark(t.met)}: ${t.text} (${t.detail})`),
    '',
    ...(problems.length > 0 ? ['## Bounds that ran out', '', ...problems, ''] : []),
  ].join('\n');
}

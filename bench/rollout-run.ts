// One run of one configuration in the pod emulator: N worker pods consume a steady stream from
// a queue of their own; after a warm-up the Deployment is rolled out; once every old pod is
// gone the stream stops and the run waits for every published message to be acknowledged.
// The record keeps the emulator's timeline and the workers' task ledger, on one clock.

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { Simulation, type PodsimEvent } from '../podsim/index.js';
import { AMQP_PORT, AMQP_URL, removeQueue } from './rollout-broker.js';
import { fittedManifest, type Configuration } from './rollout-configurations.js';
import type { RolloutBenchOptions } from './rollout-options.js';

const DEPLOYMENT = 'queue-worker';
/** Bound on the publisher's exit once asked to stop (it waits for outstanding confirms). */
const PUBLISHER_STOP_BOUND_MS = 30_000;

export interface TaskLine {
  /** Milliseconds on the emulator's clock. */
  t: number;
  pod: string;
  event: 'task.started' | 'task.finished';
  messageId: string;
  redelivered: boolean;
}

export interface PodLife {
  name: string;
  deletedAt: number | undefined;
  exitedAt: number | undefined;
}

export interface RunRecord {
  configuration: Configuration['name'];
  repeat: number;
  queue: string;
  rolloutStartedAt: number;
  rolloutCompletedAt: number | undefined;
  oldPodsGoneAt: number | undefined;
  /** The pods that existed when the rollout started. */
  oldPods: PodLife[];
  tasks: TaskLine[];
  published: string[];
  /** Messages still ready in the queue at the end: not lost, but not processed in time. */
  leftInQueue: number;
  /** Bounds that ran out, in the order they did; empty for a clean run. */
  problems: string[];
  logsDir: string;
}

export interface RunContext {
  root: string;
  manifestsDir: string;
  binDir: string;
  logsRoot: string;
}

/** Wrappers on the emulator's PATH for the names the manifests use, as an image would have. */
export async function writeBinDir(root: string, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const programs: Record<string, string> = {
    'drainwatch-shim': 'dist/worker-shim/main.js',
    'drainwatch-sidecar': 'dist/sidecar/main.js',
    'queue-worker': 'dist/examples/rabbitmq/worker.js',
  };
  for (const [name, script] of Object.entries(programs)) {
    const path = join(dir, name);
    await writeFile(path, `#!/bin/sh\nexec "${process.execPath}" "${join(root, script)}" "$@"\n`);
    await chmod(path, 0o755);
  }
}

export async function runConfiguration(
  config: Configuration,
  repeat: number,
  options: Readonly<RolloutBenchOptions>,
  context: RunContext,
): Promise<RunRecord> {
  const queue = `drainwatch-bench-${config.name}-${randomBytes(4).toString('hex')}`;
  const logsDir = join(context.logsRoot, `${repeat}-${config.name}`);
  const simulation = new Simulation({
    bins: [context.binDir],
    hostPorts: [AMQP_PORT],
    // Signals a container's main process does not handle are dropped, as for a PID 1: the
    // shell pattern's sidecar relies on it.
    pid1Signals: true,
    env: { AMQP_URL, QUEUE: queue },
    hostPath: process.env.PATH ?? '',
    workDir: context.root,
    logsDir,
  });
  const record: RunRecord = {
    configuration: config.name, repeat, queue, rolloutStartedAt: 0, rolloutCompletedAt: undefined,
    oldPodsGoneAt: undefined, oldPods: [], tasks: [], published: [], leftInQueue: 0,
    problems: [], logsDir,
  };
  const ledgerWaiters = new Set<() => void>();
  simulation.onLog((line) => {
    const task = taskLine(line.t, line.pod, line.line);
    if (!task) return;
    record.tasks.push(task);
    for (const wake of ledgerWaiters) wake();
  });
  simulation.loadText(await fittedManifest(context.manifestsDir, config, options.replicas,
    { WORKER_WAIT_TIMEOUT: options.shellWaitTimeout }), config.manifest);

  let publisher: PublisherProcess | undefined;
  try {
    await simulation.start();
    await bounded(record, simulation.waitFor(
      () => simulation.pods.filter((p) => p.ready).length >= options.replicas,
      `${options.replicas} ready pods`, options.phaseBoundMs));
    publisher = startPublisher(context.root, queue, options, `${repeat}${config.name}`);
    // The warm-up is part of the workload, not a synchronisation: pods must be mid-task.
    await sleep(options.warmupMs);

    const oldPods = simulation.pods.map((p) => p.name);
    record.rolloutStartedAt = simulation.log.now();
    simulation.rollout(DEPLOYMENT);
    const complete = await bounded(record,
      simulation.waitRolloutComplete(DEPLOYMENT, options.phaseBoundMs));
    record.rolloutCompletedAt = complete?.t;
    const gone = await bounded(record, Promise.all(oldPods.map((pod) => simulation.waitFor(
      (e) => e.event === 'PodTerminated' && e.pod === pod, `PodTerminated of ${pod}`,
      options.phaseBoundMs))));
    record.oldPodsGoneAt = gone ? Math.max(...gone.map((e) => e.t)) : undefined;
    record.oldPods = oldPods.map((name) => podLife(simulation.log.events, name));

    await bounded(record, publisher.stop());
    record.published = publisher.confirmed;
    await bounded(record, waitForLedger(ledgerWaiters, () => allFinished(record),
      'every published message acknowledged', options.phaseBoundMs));
  } finally {
    publisher?.kill();
    await simulation.stop();
    record.leftInQueue = await removeQueue(queue);
    // The emulator's timeline beside the containers' logs, to check any figure by hand.
    await writeFile(join(logsDir, 'events.jsonl'),
      simulation.log.events.map((e) => JSON.stringify(e)).join('\n') + '\n');
  }
  return record;
}

/** Awaits `wait`; when its bound runs out, notes the problem and lets the run go on. */
async function bounded<T>(record: RunRecord, wait: Promise<T>): Promise<T | undefined> {
  try {
    return await wait;
  } catch (err) {
    record.problems.push((err as Error).message);
    return undefined;
  }
}

/** Resolves once `done()` holds, checked on every new ledger line; rejects after `boundMs`. */
function waitForLedger(
  waiters: Set<() => void>,
  done: () => boolean,
  what: string,
  boundMs: number,
): Promise<void> {
  if (done()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      waiters.delete(check);
      reject(new Error(`no ${what} within ${boundMs} ms`));
    }, boundMs);
    const check = () => {
      if (!done()) return;
      clearTimeout(timer);
      waiters.delete(check);
      resolve();
    };
    waiters.add(check);
  });
}

function allFinished(record: RunRecord): boolean {
  const finished = new Set(record.tasks.filter((t) => t.event === 'task.finished')
    .map((t) => t.messageId));
  return record.published.every((id) => finished.has(id));
}

function podLife(events: readonly PodsimEvent[], name: string): PodLife {
  const at = (event: string) => events.find((e) => e.event === event && e.pod === name)?.t;
  return { name, deletedAt: at('PodTerminating'), exitedAt: at('PodTerminated') };
}

/** A worker's task.started / task.finished line, or undefined for any other output. */
function taskLine(t: number, pod: string, text: string): TaskLine | undefined {
  if (!text.includes('"task.')) return undefined;
  let line: Record<string, unknown>;
  try {
    line = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (line.event !== 'task.started' && line.event !== 'task.finished') return undefined;
  return { t, pod, event: line.event, messageId: String(line.messageId),
    redelivered: line.redelivered === true };
}

interface PublisherProcess {
  readonly confirmed: string[];
  /** Asks it to stop and waits for its last confirms. */
  stop(): Promise<void>;
  kill(): void;
}

function startPublisher(
  root: string,
  queue: string,
  options: Readonly<RolloutBenchOptions>,
  idPrefix: string,
): PublisherProcess {
  const child = spawn(process.execPath, [join(root, 'dist/examples/rabbitmq/publisher.js'),
    '--queue', queue, '--rate', String(options.rate), '--id-prefix', idPrefix,
    '--task-min', `${options.taskMinMs}ms`, '--task-max', `${options.taskMaxMs}ms`,
    '--seed', String(options.seed)], {
    env: { ...process.env, AMQP_URL },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const confirmed: string[] = [];
  let buffered = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    let newline: number;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      const text = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      if (!text.includes('message.published')) continue;
      confirmed.push(String((JSON.parse(text) as { messageId: unknown }).messageId));
    }
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  return {
    confirmed,
    async stop() {
      child.kill('SIGTERM');
      const code = await Promise.race([exited, sleep(PUBLISHER_STOP_BOUND_MS, 'timeout')]);
      if (code !== 0) throw new Error(`the publisher ended with ${String(code)}, not 0`);
    },
    kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

// Shared setup of the scenario suite: the reference manifests rendered by kubectl kustomize,
// the few fields a user would change, a bin directory that maps the manifests' commands to the
// built programs and the fixture worker, a file queue, and waits on podsim events and on the
// JSON log lines of the containers (handshakes, never sleeps).

import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { promisify } from 'node:util';

import { writeBins } from '../../demo/bins.js';
import { createQueue, publish, readDone, type Message } from '../../demo/file-queue.js';
import {
  Simulation, type ContainerLogLine, type PodsimEvent, type SimulationOptions,
} from '../../podsim/index.js';
import type { ContainerSpec, PodSpec } from '../../podsim/types.js';
import { FIXTURES, ROOT, tempDir } from '../helpers.js';
import { kubectlMissingReason, renderKustomization, type K8sObject } from '../k8s/render.js';

/** "Promptly": every manifest keeps a grace period of minutes to an hour, so a pod gone within
 * this bound did not wait for it. Loose on purpose: exact figures belong to benchmarks. */
export const PROMPT_MS = 10_000;
/** Bound of any single wait; a rolling update waits on readiness probes every 5 s. */
export const BOUND_MS = 90_000;

const namespaces = Simulation.namespacesUnavailableReason();
const kubectl = await kubectlMissingReason();
/** Passed as { skip } to every scenario: they need per-pod namespaces and kubectl. */
export const skip: string | false = namespaces ? `needs per-pod namespaces: ${namespaces}` :
  kubectl ?? false;

const renders = new Map<string, Promise<K8sObject[]>>();

/** The objects `kubectl kustomize k8s/<variant>` renders (a fresh copy to patch each time). */
export async function render(variant: string): Promise<K8sObject[]> {
  let rendered = renders.get(variant);
  if (!rendered) {
    rendered = renderKustomization(join(ROOT, 'k8s', variant));
    renders.set(variant, rendered);
  }
  return structuredClone(await rendered);
}

interface WorkloadObject {
  kind: string;
  metadata: { name: string };
  spec: { replicas?: number; template: { spec: PodSpec } };
}

/** The Deployment or Job of a rendered variant. */
export function workloadOf(objects: K8sObject[]): WorkloadObject {
  const found = objects.find((o) => o.kind === 'Deployment' || o.kind === 'Job');
  if (!found) throw new Error('the rendered manifests hold no Deployment or Job');
  return found as unknown as WorkloadObject;
}

export function podSpecOf(objects: K8sObject[]): PodSpec {
  return workloadOf(objects).spec.template.spec;
}

/** A container of the pod template, regular or init (a native sidecar is an init container). */
export function containerOf(objects: K8sObject[], name: string): ContainerSpec {
  const spec = podSpecOf(objects);
  const found = [...(spec.initContainers ?? []), ...spec.containers].find((c) => c.name === name);
  if (!found) throw new Error(`the pod template has no container named "${name}"`);
  return found;
}

/** Sets an environment variable of a container, replacing the manifest's value. */
export function setEnv(objects: K8sObject[], container: string, name: string, value: string) {
  const spec = containerOf(objects, container);
  spec.env = [...(spec.env ?? []).filter((e) => e.name !== name), { name, value }];
}

export function setReplicas(objects: K8sObject[], replicas: number): void {
  workloadOf(objects).spec.replicas = replicas;
}

export function setGraceSeconds(objects: K8sObject[], seconds: number): void {
  podSpecOf(objects).terminationGracePeriodSeconds = seconds;
}

/** The commands the manifests name, mapped to the built programs and the fixtures. */
const PROGRAMS: Record<string, string> = {
  'drainwatch-shim': join(ROOT, 'dist', 'worker-shim', 'main.js'),
  'drainwatch-sidecar': join(ROOT, 'dist', 'sidecar', 'main.js'),
  'queue-worker': join(FIXTURES, 'scenario-worker.js'),
  'scenario-proxy': join(FIXTURES, 'scenario-proxy.js'),
};

export interface ParsedLine {
  t: number;
  pod: string;
  container: string;
  event?: string;
  [field: string]: unknown;
}

export type Match = Record<string, unknown>;

function matches(item: Record<string, unknown>, match: Match): boolean {
  return Object.entries(match).every(([key, value]) => item[key] === value);
}

/** One scenario: a simulation of the rendered manifests, its queue, and what it logged. */
export class Scenario {
  readonly simulation: Simulation;
  readonly dir: string;
  readonly queue: string;
  readonly lines: ParsedLine[] = [];
  readonly #waiters = new Set<(line: ParsedLine) => void>();

  constructor(simulation: Simulation, dir: string, queue: string) {
    this.simulation = simulation;
    this.dir = dir;
    this.queue = queue;
    simulation.onLog((line) => this.#take(line));
  }

  get events(): PodsimEvent[] {
    return this.simulation.log.events;
  }

  publish(message: Message): void {
    publish(this.queue, message);
  }

  /** Ids of the tasks the workers completed (and recorded in the queue). */
  completedTasks(): string[] {
    return readDone(this.queue).map((r) => r.id);
  }

  /** Log lines (JSON, with pod and container) matching every field of `match`. */
  linesWhere(match: Match): ParsedLine[] {
    return this.lines.filter((l) => matches(l, match));
  }

  eventsWhere(match: Match): PodsimEvent[] {
    return this.events.filter((e) => matches(e, match));
  }

  /** The first log line, past or future, matching `match`. */
  waitLine(match: Match, boundMs = BOUND_MS): Promise<ParsedLine> {
    return this.waitLineWhere((l) => matches(l, match), JSON.stringify(match), boundMs);
  }

  /** The first log line, past or future, for which `accept` is true. */
  waitLineWhere(accept: (line: ParsedLine) => boolean, what: string, boundMs = BOUND_MS) {
    const seen = this.lines.find(accept);
    if (seen) return Promise.resolve(seen);
    return new Promise<ParsedLine>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        reject(new Error(`no log line ${what} within ${boundMs} ms\n${this.dump()}`));
      }, boundMs);
      const waiter = (line: ParsedLine) => {
        if (!accept(line)) return;
        clearTimeout(timer);
        this.#waiters.delete(waiter);
        resolve(line);
      };
      this.#waiters.add(waiter);
    });
  }

  /** The first podsim event, past or future, matching `match`. */
  async waitEvent(match: Match, boundMs = BOUND_MS): Promise<PodsimEvent> {
    try {
      return await this.simulation.waitFor((e) => matches(e, match), JSON.stringify(match),
        boundMs);
    } catch (err) {
      throw new Error(`${(err as Error).message}\n${this.dump()}`);
    }
  }

  /** Deletes a pod as kubectl delete does, and waits (bounded) until it is gone. */
  async deletePod(pod: string, boundMs = BOUND_MS): Promise<PodsimEvent> {
    void this.simulation.deletePod(pod);
    return this.waitEvent({ event: 'PodDeleted', pod }, boundMs);
  }

  /**
   * SIGKILLs the main process of a container, as the kernel does to an OOM-killed container.
   * The pid comes from podsim's Started event; it is checked against /proc first, so that a pid
   * from another pid namespace can never hit an unrelated process of the machine.
   */
  killContainer(pod: string, container: string, program: string): void {
    process.kill(this.#hostPid(pod, container, program), 'SIGKILL');
  }

  /**
   * GETs `path` on a port of the pod's own network, as a client inside the pod would (the pod
   * network is not reachable from the host): node runs the request in the network namespace of
   * the container's main process. Resolves with the body; rejects on a non-200 answer.
   */
  async getInPod(pod: string, container: string, program: string, port: number, path: string) {
    const pid = this.#hostPid(pod, container, program);
    const script = `fetch('http://127.0.0.1:${port}${path}').then(async (r) => {` +
      'process.stdout.write(await r.text()); process.exitCode = r.status === 200 ? 0 : 1; })';
    const { stdout } = await promisify(execFile)('nsenter', ['--target', String(pid), '--net',
      '--', process.execPath, '-e', script], { timeout: 20_000 });
    return stdout;
  }

  /** The host pid of a container's main process, checked against /proc. */
  #hostPid(pod: string, container: string, program: string): number {
    const started = this.eventsWhere({ event: 'Started', pod, container }).at(-1);
    const pid = Number(started?.pid);
    let commandLine = '';
    try {
      commandLine = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      // The process is gone or the pid is not a host pid: refused below.
    }
    if (!commandLine.includes(program)) {
      throw new Error(`container ${container} of ${pod}: pid ${pid} is not ${program} on this ` +
        `machine (its command line is "${commandLine.replaceAll('\0', ' ')}")`);
    }
    return pid;
  }

  /** Milliseconds from PodTerminating to PodDeleted (the pod must be gone). */
  terminationMs(pod: string): number {
    const start = this.eventsWhere({ event: 'PodTerminating', pod })[0];
    const end = this.eventsWhere({ event: 'PodDeleted', pod })[0];
    if (!start || !end) throw new Error(`pod ${pod} has not gone through termination`);
    return end.t - start.t;
  }

  /** The timeline and every log line, for assertion messages. */
  dump(): string {
    const timeline = this.events.map((e) => JSON.stringify(e));
    const logs = this.lines.map((l) => JSON.stringify(l));
    return ['--- events ---', ...timeline, '--- container logs ---', ...logs].join('\n');
  }

  #take(line: ContainerLogLine): void {
    let body: unknown;
    try {
      body = JSON.parse(line.line);
    } catch {
      body = { text: line.line };
    }
    if (typeof body !== 'object' || body === null) body = { text: line.line };
    const parsed: ParsedLine = { ...(body as object), t: line.t, pod: line.pod,
      container: line.container };
    this.lines.push(parsed);
    for (const waiter of [...this.#waiters]) waiter(parsed);
  }
}

export interface ScenarioOptions {
  /** PATH after the bin directory (podsim's default: the usual system directories). */
  hostPath?: string;
  /** Messages waiting in the queue before any pod starts (a Job's work). */
  publish?: Message[];
}

/**
 * Starts the emulator on `objects`. Every container gets QUEUE_DIR (the worker's queue) and the
 * bin directory first on its PATH; main processes that do not handle SIGTERM ignore it, as PID 1
 * does in a container.
 */
export async function startScenario(
  t: TestContext,
  objects: K8sObject[],
  options: ScenarioOptions = {},
): Promise<Scenario> {
  const dir = await tempDir(t, 'drainwatch-scenario-');
  const bins = await writeBins(join(dir, 'bin'), PROGRAMS);
  const queue = createQueue(join(dir, 'queue'));
  for (const message of options.publish ?? []) publish(queue, message);
  const simulationOptions: SimulationOptions = {
    bins: [bins],
    env: { QUEUE_DIR: queue },
    pid1Signals: true,
    ...(options.hostPath === undefined ? {} : { hostPath: options.hostPath }),
  };
  const simulation = new Simulation(simulationOptions);
  t.after(() => simulation.stop());
  const scenario = new Scenario(simulation, dir, queue);
  simulation.loadText(objects.map((o) => JSON.stringify(o)).join('\n---\n'), t.name);
  await simulation.start();
  return scenario;
}

/** Names of the pods that exist now (not terminating). */
export function runningPods(scenario: Scenario): string[] {
  return scenario.simulation.pods.filter((p) => !p.terminating).map((p) => p.name);
}

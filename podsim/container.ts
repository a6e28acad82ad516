// The state of one container of a pod across its runs: whether it runs, its current process,
// restart count, last exit, probe results. The pod decides when to start and stop it.

import { constants } from 'node:os';

import type { AgentClient } from './agent-client.js';
import { CrashLoopBackOff } from './backoff.js';
import type { EventLog } from './events.js';
import type { HandlerContext } from './handlers.js';
import { ProbeWorker, type ProbeCallbacks, type ProbeKind } from './probe-worker.js';
import type { ContainerSpec } from './types.js';

export type ContainerRole = 'init' | 'sidecar' | 'main';
export type ContainerState = 'waiting' | 'running' | 'terminated';

export interface ContainerExit {
  exitCode: number;
  signal: NodeJS.Signals | null;
  reason: 'Completed' | 'Error';
  ranMs: number;
}

export interface LaunchSpec {
  argv: string[];
  env: Record<string, string>;
  cwd: string;
  pid1Signals: boolean;
}

export class Container {
  readonly spec: ContainerSpec;
  readonly role: ContainerRole;
  readonly id: string;
  readonly backoff: CrashLoopBackOff;
  state: ContainerState = 'waiting';
  restartCount = 0;
  runs = 0;
  pid: number | undefined;
  lastExit: ContainerExit | undefined;
  /** Startup probe passed (or none) and postStart finished. */
  started = false;
  ready = false;
  /** The container ended and the pod will not run it again. */
  final = false;
  #exitWaiters: Array<(exit: ContainerExit) => void> = [];
  #startWaiters: Array<(started: boolean) => void> = [];
  #probes: ProbeWorker[] = [];
  #startedAtMs = 0;

  constructor(spec: ContainerSpec, role: ContainerRole, podName: string, backoffScale: number) {
    this.spec = spec;
    this.role = role;
    this.id = `${podName}/${spec.name}`;
    this.backoff = new CrashLoopBackOff(backoffScale);
  }

  get name(): string {
    return this.spec.name;
  }

  get isRunning(): boolean {
    return this.state === 'running';
  }

  /**
   * Starts one run. Resolves with the run's exit once the process ends (or could not start).
   */
  launch(agent: AgentClient, launch: LaunchSpec, log: EventLog, pod: string) {
    this.state = 'running';
    this.started = false;
    this.ready = false;
    this.pid = undefined;
    this.#startedAtMs = log.now();
    this.runs += 1;
    const exited = new Promise<ContainerExit>((resolve) => this.#exitWaiters.push(resolve));
    const container = this.name;
    agent.spawnContainer(this.id, launch, {
      onStarted: (podPid, hostPid) => {
        this.pid = hostPid ?? podPid;
        this.#settleStart(true);
        log.emit('Started', { pod, container, pid: this.pid, podPid,
          restartCount: this.restartCount,
          command: launch.argv.join(' ') });
      },
      onSpawnFailed: (message) => {
        log.emit('FailedToStart', { pod, container, error: message });
        this.#finish(log, pod, 128, null);
      },
      onExit: (code, signal) => this.#finish(log, pod, code, signal),
      onLog: (stream, line) => log.log(pod, container, stream, line),
    });
    return exited;
  }

  /** Resolves true once the current run's process exists, false if it ended first. */
  whenSpawned(): Promise<boolean> {
    if (!this.isRunning) return Promise.resolve(false);
    if (this.pid !== undefined) return Promise.resolve(true);
    return new Promise((resolve) => this.#startWaiters.push(resolve));
  }

  #settleStart(started: boolean): void {
    const waiters = this.#startWaiters;
    this.#startWaiters = [];
    for (const resolve of waiters) resolve(started);
  }

  /** Resolves when the current run ends; at once when the container is not running. */
  whenExited(): Promise<ContainerExit | undefined> {
    if (!this.isRunning) return Promise.resolve(this.lastExit);
    return new Promise((resolve) => this.#exitWaiters.push(resolve));
  }

  startProbe(kind: ProbeKind, context: HandlerContext, pod: string, log: EventLog,
    callbacks: ProbeCallbacks): boolean {
    const probe = kind === 'startup' ? this.spec.startupProbe :
      kind === 'liveness' ? this.spec.livenessProbe : this.spec.readinessProbe;
    if (!probe) return false;
    const worker = new ProbeWorker(kind, probe, context, pod, log, callbacks);
    this.#probes.push(worker);
    worker.start();
    return true;
  }

  stopProbes(kinds: readonly ProbeKind[]): void {
    this.#probes = this.#probes.filter((worker) => {
      if (!kinds.includes(worker.kind)) return true;
      worker.stop();
      return false;
    });
  }

  #finish(log: EventLog, pod: string, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.state !== 'running') return;
    const exitCode = code ?? 128 + (signal ? constants.signals[signal] ?? 0 : 0);
    const exit: ContainerExit = {
      exitCode,
      signal,
      reason: exitCode === 0 ? 'Completed' : 'Error',
      ranMs: log.now() - this.#startedAtMs,
    };
    this.state = 'terminated';
    this.ready = false;
    this.lastExit = exit;
    this.stopProbes(['startup', 'liveness', 'readiness']);
    this.#settleStart(false);
    log.emit('Exited', { pod, container: this.name, exitCode, signal, reason: exit.reason,
      restartCount: this.restartCount });
    const waiters = this.#exitWaiters;
    this.#exitWaiters = [];
    for (const resolve of waiters) resolve(exit);
  }
}

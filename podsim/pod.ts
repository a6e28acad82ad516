// One pod on the emulated node: its sandbox (a pod agent with its own network and mount
// namespaces), init containers, native sidecars, main containers, restarts with back-off,
// probes, the Ready condition, completion and termination.

import { randomUUID } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

import { AgentClient } from './agent-client.js';
import type { HostPortBinding, VolumeBinding } from './agent-protocol.js';
import { Container, type ContainerExit } from './container.js';
import { containerEnv, type EnvBase } from './env.js';
import type { EventLog } from './events.js';
import { deletionGrace, kubeletGrace, DEFAULT_GRACE_SECONDS } from './grace.js';
import { runHook, type HandlerContext } from './handlers.js';
import { containerArgv, expandReferences, type ImageMap } from './images.js';
import { isPodReady, shouldRestart, terminalPhase, type PodPhase } from './pod-status.js';
import type { ProbeKind } from './probe-worker.js';
import { stopContainer, TerminationOrdering, type StopContext } from './termination.js';
import type { PodSpec, RestartPolicy } from './types.js';

export type { PodPhase };

/** Bound on the pod agent's exit once its stdin is closed. */
const AGENT_CLOSE_BOUND_MS = 5_000;
/** Bound on the pod agent's start: namespaces, mounts and host ports. */
const AGENT_READY_BOUND_MS = 20_000;

export interface PodRuntimeOptions {
  images: ImageMap;
  envBase: EnvBase;
  hostPorts: HostPortBinding[];
  backoffScale: number;
  pid1Signals: boolean;
  workDir: string;
  tempRoot: string;
  /** A force delete gives the node 1 s instead of the spec grace (the documented variant). */
  forceDeleteGraceOne: boolean;
}

export interface DeleteOptions {
  /** kubectl delete --force: the object goes at once, the node still stops the pod (A7). */
  force?: boolean;
}

export interface PodInit {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  spec: PodSpec;
  owner?: { kind: string; name: string };
}

export class Pod {
  readonly name: string;
  readonly namespace: string;
  readonly uid = randomUUID();
  readonly labels: Record<string, string>;
  readonly spec: PodSpec;
  readonly owner: { kind: string; name: string } | undefined;
  readonly createdMs: number;
  readonly containers: Container[];
  phase: PodPhase = 'Pending';
  ready = false;
  terminating = false;
  gone = false;
  /** Removed from the API by a force delete; its processes may still be stopping. */
  forceDeleted = false;
  /** Seconds; set once deletion starts. */
  graceSeconds: number | undefined;
  readonly #log: EventLog;
  readonly #options: PodRuntimeOptions;
  readonly #dir: string;
  #agent: AgentClient | undefined;
  #noRestarts = false;
  #completing: Promise<void> | undefined;
  #wakeBackoff = new Set<() => void>();
  #goneWaiters: Array<() => void> = [];
  #removing: Promise<void> | undefined;
  #launchError: Error | undefined;
  /** Aborted by destroy(): ends every wait of a stop in flight, so no timer outlives the pod. */
  readonly #teardown = new AbortController();

  constructor(init: PodInit, log: EventLog, options: PodRuntimeOptions) {
    this.name = init.name;
    this.namespace = init.namespace;
    this.labels = init.labels;
    this.spec = init.spec;
    this.owner = init.owner;
    this.#log = log;
    this.#options = options;
    this.createdMs = log.now();
    this.#dir = join(options.tempRoot, init.name);
    const scale = options.backoffScale;
    this.containers = [
      ...(init.spec.initContainers ?? []).map((c) =>
        new Container(c, c.restartPolicy === 'Always' ? 'sidecar' : 'init', init.name, scale)),
      ...init.spec.containers.map((c) => new Container(c, 'main', init.name, scale)),
    ];
  }

  get restartPolicy(): RestartPolicy {
    return this.spec.restartPolicy ?? 'Always';
  }

  get isTerminal(): boolean {
    return this.phase === 'Succeeded' || this.phase === 'Failed';
  }

  /** The host directory behind the pod's emptyDir `volume` (it exists while the pod does). */
  volumePath(volume: string): string {
    return join(this.#dir, 'volumes', volume);
  }

  /** An error that stopped the pod from starting (bad image mapping, agent failure). */
  get launchError(): Error | undefined {
    return this.#launchError;
  }

  whenGone(): Promise<void> {
    if (this.gone) return Promise.resolve();
    return new Promise((resolve) => this.#goneWaiters.push(resolve));
  }

  /** Creates the sandbox and runs the pod until it completes or is deleted. */
  async run(): Promise<void> {
    this.#emit('PodCreated', { owner: this.owner?.name });
    try {
      for (const container of this.containers) this.#launchSpec(container);
      await this.#createSandbox();
      await this.#runInitContainers();
      if (this.#noRestarts) return;
      this.#setPhase('Running');
      for (const container of this.#mains) void this.#supervise(container);
    } catch (err) {
      // A pod deleted while its sandbox starts fails that start; that is not news.
      if (this.terminating) return;
      this.#launchError = err as Error;
      this.#emit('PodFailedToStart', { error: (err as Error).message });
      this.#setPhase('Failed');
      this.#noRestarts = true;
    }
  }

  /**
   * Deletes the pod: `graceOverride` plays kubectl delete --grace-period. A finished pod goes at
   * once; a terminating pod ignores the new grace for the stops already under way (A6).
   */
  async delete(graceOverride?: number, options: DeleteOptions = {}): Promise<void> {
    if (this.gone) return;
    if (options.force && !this.forceDeleted) {
      this.forceDeleted = true;
      this.#emit('PodForceDeleted', { note: 'the object is gone; the node stops the pod (A7)' });
    }
    if (this.terminating) {
      this.#emit('DeleteRepeated', { requestedGraceSeconds: graceOverride,
        note: 'a stop in flight keeps its grace (A6)' });
      return this.whenGone();
    }
    this.terminating = true;
    this.#noRestarts = true;
    for (const wake of this.#wakeBackoff) wake();
    if (this.#completing) await this.#completing;
    if (this.isTerminal) {
      this.#emit('PodTerminating', { graceSeconds: 0, note: 'pod already finished' });
      await this.#remove();
      return;
    }
    // A force delete reaches the kubelet without a deletion grace: it falls back to the spec.
    const grace = options.force ?
      kubeletGrace(this.#options.forceDeleteGraceOne ? 1 :
        this.spec.terminationGracePeriodSeconds ?? DEFAULT_GRACE_SECONDS) :
      kubeletGrace(deletionGrace(this.spec.terminationGracePeriodSeconds, graceOverride));
    this.graceSeconds = grace;
    this.#emit('PodTerminating', { graceSeconds: grace });
    this.#stopProbes(['liveness', 'startup']);
    await this.#stopAll(this.containers.filter((c) => c.isRunning), grace);
    this.#stopProbes(['readiness']);
    this.#setPhase(terminalPhase(this.containers, this.#launchError !== undefined));
    this.#emit('PodTerminated', { phase: this.phase });
    await this.#remove();
  }

  /** Kills every process at once and removes the sandbox (for shutting a simulation down). */
  async destroy(): Promise<void> {
    this.#teardown.abort();
    this.terminating = true;
    this.#noRestarts = true;
    for (const wake of this.#wakeBackoff) wake();
    this.#stopProbes(['liveness', 'startup', 'readiness']);
    await this.#remove();
  }

  get #mains(): Container[] {
    return this.containers.filter((c) => c.role === 'main');
  }

  get #sidecars(): Container[] {
    return this.containers.filter((c) => c.role === 'sidecar');
  }

  #emit(event: string, fields: Record<string, unknown> = {}): void {
    this.#log.emit(event, { pod: this.name, ...fields });
  }

  #setPhase(phase: PodPhase): void {
    if (this.phase === phase || this.isTerminal) return;
    this.phase = phase;
    this.#emit('PodPhase', { phase });
    this.#updateReady();
  }

  async #createSandbox(): Promise<void> {
    const volumes: VolumeBinding[] = [];
    for (const volume of this.spec.volumes ?? []) {
      const hostDir = join(this.#dir, 'volumes', volume.name);
      await mkdir(hostDir, { recursive: true });
      for (const container of this.containers) {
        for (const mount of container.spec.volumeMounts ?? []) {
          if (mount.name !== volume.name) continue;
          if (volumes.some((v) => v.mountPath === mount.mountPath)) continue;
          volumes.push({ hostDir, mountPath: mount.mountPath });
        }
      }
    }
    // Outer mount points first, so that a volume inside another lands on top of it.
    volumes.sort((a, b) => a.mountPath.split('/').length - b.mountPath.split('/').length);
    this.#agent = new AgentClient((text) => this.#emit('AgentDiagnostic', { text: text.trim() }));
    await this.#agent.init(volumes, this.#options.hostPorts, AGENT_READY_BOUND_MS);
    this.#emit('SandboxReady', { agentPid: this.#agent.agentHostPid,
      sandboxPid: this.#agent.pid, cgroup: this.#agent.cgroup });
    if (this.#agent.cgroupError !== undefined) {
      this.#emit('ContainerCgroupsUnavailable', { type: 'Warning',
        error: this.#agent.cgroupError,
        note: 'a container end kills its process group only; a process in another ' +
          'session lives until the pod ends' });
    }
  }

  async #runInitContainers(): Promise<void> {
    for (const container of this.containers.filter((c) => c.role !== 'main')) {
      if (this.#noRestarts) return;
      if (container.role === 'sidecar') {
        void this.#supervise(container);
        await this.#until(() => container.started || this.#noRestarts);
        continue;
      }
      const succeeded = await this.#runToCompletion(container);
      if (!succeeded) return;
    }
  }

  /** A regular init container: restarted until it succeeds unless restartPolicy is Never. */
  async #runToCompletion(container: Container): Promise<boolean> {
    for (;;) {
      const exit = await this.#launch(container);
      if (this.#noRestarts) return false;
      if (exit.exitCode === 0) return true;
      if (this.restartPolicy === 'Never') {
        container.final = true;
        this.#emit('InitContainerFailed', { container: container.name, exitCode: exit.exitCode });
        await this.#complete();
        return false;
      }
      if (!(await this.#backOff(container, exit))) return false;
    }
  }

  /** Runs a main container or sidecar, restarting it as the restart policy says. */
  async #supervise(container: Container): Promise<void> {
    for (;;) {
      const exit = await this.#launch(container);
      this.#updateReady();
      if (this.#noRestarts) return;
      if (!shouldRestart(container, exit, this.restartPolicy)) {
        container.final = true;
        if (this.#mains.every((c) => c.final)) void this.#complete();
        return;
      }
      if (!(await this.#backOff(container, exit))) return;
    }
  }

  /** Waits out the CrashLoopBackOff delay; false when the pod stopped meanwhile. */
  async #backOff(container: Container, exit: ContainerExit): Promise<boolean> {
    const delayMs = container.backoff.next(exit.ranMs);
    if (delayMs > 0) {
      container.state = 'waiting';
      this.#emit('BackOff', { container: container.name, type: 'Warning', delayMs,
        reason: 'CrashLoopBackOff', message: 'Back-off restarting failed container' });
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.#wakeBackoff.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, delayMs);
        this.#wakeBackoff.add(wake);
      });
    }
    if (this.#noRestarts) return false;
    container.restartCount += 1;
    return true;
  }

  async #launch(container: Container): Promise<ContainerExit> {
    const launch = this.#launchSpec(container);
    const exited = container.launch(this.#agent!, launch, this.#log, this.name);
    void this.#afterStart(container);
    return exited;
  }

  #launchSpec(container: Container) {
    const env = containerEnv(container.spec, this, this.#options.envBase);
    const where = `pod "${this.name}"`;
    const argv = containerArgv(container.spec, this.#options.images, where)
      .map((word) => expandReferences(word, env));
    return {
      argv,
      env,
      cwd: container.spec.workingDir ?? this.#options.workDir,
      pid1Signals: this.#options.pid1Signals,
    };
  }

  /** postStart, then the startup probe; liveness and readiness once started. */
  async #afterStart(container: Container): Promise<void> {
    if (!(await container.whenSpawned())) return;
    const postStart = container.spec.lifecycle?.postStart;
    if (postStart) {
      const outcome = await runHook(postStart, this.#handlerContext(container));
      if (!outcome.ok && container.isRunning && !this.#noRestarts) {
        this.#emit('FailedPostStartHook', { container: container.name, type: 'Warning',
          message: 'PostStartHook failed', error: outcome.error });
        await this.#killForRestart(container, undefined,
          `FailedPostStartHook: stopping container ${container.name}`);
        return;
      }
    }
    if (!container.isRunning || this.#noRestarts) return;
    const callbacks = { onChange: (kind: ProbeKind, ok: boolean) =>
      this.#onProbe(container, kind, ok) };
    const context = this.#handlerContext(container);
    if (!container.startProbe('startup', context, this.name, this.#log, callbacks)) {
      this.#markStarted(container);
    }
  }

  #markStarted(container: Container): void {
    container.started = true;
    const callbacks = { onChange: (kind: ProbeKind, ok: boolean) =>
      this.#onProbe(container, kind, ok) };
    const context = this.#handlerContext(container);
    container.startProbe('liveness', context, this.name, this.#log, callbacks);
    if (!container.startProbe('readiness', context, this.name, this.#log, callbacks)) {
      container.ready = true;
    }
    this.#updateReady();
  }

  #onProbe(container: Container, kind: ProbeKind, ok: boolean): void {
    if (!container.isRunning) return;
    if (kind === 'readiness') {
      container.ready = ok;
      this.#updateReady();
      return;
    }
    if (kind === 'startup' && ok) {
      container.stopProbes(['startup']);
      this.#markStarted(container);
      return;
    }
    if (ok || this.terminating || this.#noRestarts) return;
    container.stopProbes(['startup', 'liveness']);
    const probe = kind === 'startup' ? container.spec.startupProbe : container.spec.livenessProbe;
    void this.#killForRestart(container, probe?.terminationGracePeriodSeconds,
      `Container ${container.name} failed ${kind} probe, will be restarted`);
  }

  /** A container kill outside pod termination: uses the probe's or the pod's grace (A8, A9). */
  async #killForRestart(container: Container, probeGrace: number | undefined, message: string) {
    const grace = probeGrace ?? this.spec.terminationGracePeriodSeconds ?? DEFAULT_GRACE_SECONDS;
    await stopContainer(container, grace, this.#stopContext(), undefined, message);
  }

  #updateReady(): void {
    const ready = isPodReady(this.containers, this.phase);
    if (ready === this.ready) return;
    this.ready = ready;
    this.#emit('PodReady', { ready });
  }

  /** Every main container is done and none restarts: stop the sidecars, set the phase (H7). */
  #complete(): Promise<void> {
    this.#completing ??= (async () => {
      this.#noRestarts = true;
      for (const wake of this.#wakeBackoff) wake();
      this.#stopProbes(['liveness', 'startup']);
      const grace = this.spec.terminationGracePeriodSeconds ?? DEFAULT_GRACE_SECONDS;
      const running = this.containers.filter((c) => c.isRunning);
      if (running.length > 0) {
        this.#emit('PodCompleting', { note: 'main containers finished; stopping the rest' });
        await this.#stopAll(running, grace);
      }
      this.#stopProbes(['readiness']);
      this.#setPhase(terminalPhase(this.containers, this.#launchError !== undefined));
      this.#emit('PodCompleted', { phase: this.phase });
    })();
    return this.#completing;
  }

  async #stopAll(running: Container[], graceSeconds: number): Promise<void> {
    const sidecars = this.#sidecars;
    const ordering = sidecars.length > 0 ?
      new TerminationOrdering(this.#mains, sidecars) : undefined;
    const context = this.#stopContext();
    await Promise.all(running.map((c) => stopContainer(c, graceSeconds, context, ordering)));
  }

  #stopProbes(kinds: ProbeKind[]): void {
    for (const container of this.containers) container.stopProbes(kinds);
  }

  #stopContext(): StopContext {
    return {
      agent: this.#agent!,
      log: this.#log,
      pod: this.name,
      teardown: this.#teardown.signal,
      handlerContext: (c) => this.#handlerContext(c),
    };
  }

  #handlerContext(container: Container): HandlerContext {
    const launch = this.#launchSpec(container);
    return { agent: this.#agent!, containerId: container.id, container: container.spec,
      env: launch.env, cwd: launch.cwd, teardown: this.#teardown.signal };
  }

  /** Polls a condition that changes on process events; the pod's own end bounds the wait. */
  async #until(condition: () => boolean): Promise<void> {
    while (!condition()) await new Promise((resolve) => setTimeout(resolve, 20));
  }

  #remove(): Promise<void> {
    this.#removing ??= this.#removeOnce();
    return this.#removing;
  }

  async #removeOnce(): Promise<void> {
    const closed = await this.#agent?.close(AGENT_CLOSE_BOUND_MS);
    if (closed?.forced) {
      this.#emit('WaitBoundReached', { waitingFor: 'pod agent exit',
        boundMs: AGENT_CLOSE_BOUND_MS });
    }
    if (closed?.cgroupLeft) {
      this.#emit('WaitBoundReached', { waitingFor: 'empty pod cgroup',
        cgroup: this.#agent?.cgroup, note: 'the cgroup directory is left behind' });
    }
    await rm(this.#dir, { recursive: true, force: true });
    this.gone = true;
    this.ready = false;
    this.#emit('PodDeleted', { phase: this.phase });
    for (const resolve of this.#goneWaiters) resolve();
    this.#goneWaiters = [];
  }
}

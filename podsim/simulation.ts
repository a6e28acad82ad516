// A simulated node with its controllers: loads workloads, runs their pods, and offers the
// operations the scenario suite, the demo and the CLI need (delete, rollout, scale, waits,
// stop). Nothing here touches the process; the CLI owns signals and exit codes.

import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { namespacesUnavailableReason } from './agent-client.js';
import { DeploymentController, type PodFactory } from './deployment.js';
import { PodsimError } from './errors.js';
import { EventLog, type ContainerLogLine, type PodsimEvent } from './events.js';
import { HostBridge } from './host-bridge.js';
import { containerArgv, parseImageFlag, type ImageCommand } from './images.js';
import { JobController } from './job.js';
import { loadManifestFile, parseManifests } from './manifest.js';
import { Pod, type DeleteOptions, type PodInit, type PodRuntimeOptions } from './pod.js';
import type { PodTemplate, Workload } from './types.js';

/** Default bound of the wait helpers. */
export const DEFAULT_WAIT_MS = 60_000;

export interface SimulationOptions {
  /** Image name -> command line ("node worker.js") or an explicit ENTRYPOINT/CMD pair. */
  images?: Record<string, string | ImageCommand>;
  /** Directories put first on every container's PATH. */
  bins?: string[];
  /** Host TCP ports made reachable at 127.0.0.1:PORT inside every pod. */
  hostPorts?: number[];
  /** Multiplies CrashLoopBackOff and Job back-off delays (1 = real kubelet timing). */
  backoffScale?: number;
  /** Drop catchable signals the container's main process does not handle (PID 1 rule). */
  pid1Signals?: boolean;
  /** A force delete gives the node 1 s instead of the pod's grace (spec A7, documented). */
  forceDeleteGraceOne?: boolean;
  /** Working directory of containers without workingDir (default: the current directory). */
  workDir?: string;
  /** Extra environment for every container (before the manifest's env). */
  env?: Record<string, string>;
  /** Write each container's output to DIR/<pod>_<container>.log. */
  logsDir?: string;
  /** PATH of the host, put after the --bin directories. */
  hostPath?: string;
}

export class Simulation {
  readonly log = new EventLog();
  readonly deployments: DeploymentController[] = [];
  readonly jobs: JobController[] = [];
  readonly #pods: Pod[] = [];
  readonly #workloads: Workload[] = [];
  readonly #options: SimulationOptions;
  readonly #bridge = new HostBridge();
  readonly #logFiles = new Map<string, WriteStream>();
  #runtime: PodRuntimeOptions | undefined;
  #tempRoot: string | undefined;
  #stopping: Promise<void> | undefined;

  constructor(options: SimulationOptions = {}) {
    this.#options = options;
  }

  /** Undefined when pods can have their own namespaces on this machine, else why not. */
  static namespacesUnavailableReason(): string | undefined {
    return namespacesUnavailableReason();
  }

  async loadFile(path: string): Promise<void> {
    this.#take(await loadManifestFile(path), path);
  }

  loadText(text: string, source = 'manifest'): void {
    this.#take(parseManifests(text, source), source);
  }

  /** The loaded Pods, Deployments and Jobs. */
  get workloads(): readonly Workload[] {
    return this.#workloads;
  }

  get pods(): Pod[] {
    return this.#pods.filter((p) => !p.gone);
  }

  get allPods(): Pod[] {
    return [...this.#pods];
  }

  pod(name: string): Pod {
    const pod = this.#pods.find((p) => p.name === name);
    if (!pod) throw new PodsimError('PODSIM_NOT_FOUND', `no pod named "${name}"`);
    return pod;
  }

  /** Checks every workload against the image mappings, then starts them. */
  async start(): Promise<void> {
    const reason = namespacesUnavailableReason();
    if (reason) throw new PodsimError('PODSIM_NAMESPACES_UNAVAILABLE', `${reason}. podsim ` +
      'gives each pod its own network and mount namespace; run it as root on Linux.');
    const images = new Map<string, ImageCommand>();
    for (const [name, value] of Object.entries(this.#options.images ?? {})) {
      images.set(name, typeof value === 'string' ? parseImageFlag(`${name}=${value}`)[1] : value);
    }
    for (const workload of this.#workloads) {
      const spec = workload.kind === 'Pod' ? workload.spec : workload.spec.template.spec;
      const where = `${workload.kind} "${workload.metadata.name}"`;
      for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
        containerArgv(c, images, where);
      }
    }
    this.#tempRoot = await mkdtemp(join(tmpdir(), 'podsim-'));
    this.log.emit('SimulationStarted', { tempDir: this.#tempRoot });
    await this.#bridge.open(this.#options.hostPorts ?? [], this.#tempRoot);
    if (this.#options.logsDir) await mkdir(this.#options.logsDir, { recursive: true });
    this.log.onLog((line) => this.#writeLog(line));
    this.#runtime = {
      images,
      envBase: {
        bins: this.#options.bins ?? [],
        hostPath: this.#options.hostPath ?? '/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin',
        extra: this.#options.env ?? {},
      },
      hostPorts: this.#bridge.bindings,
      backoffScale: this.#options.backoffScale ?? 1,
      pid1Signals: this.#options.pid1Signals ?? false,
      workDir: this.#options.workDir ?? process.cwd(),
      tempRoot: this.#tempRoot,
      forceDeleteGraceOne: this.#options.forceDeleteGraceOne ?? false,
    };
    const factory: PodFactory = { createPod: (init) => this.#createPod(init) };
    for (const workload of this.#workloads) {
      const namespace = workload.metadata.namespace ?? 'default';
      if (workload.kind === 'Pod') {
        this.#createPod({ name: workload.metadata.name!, namespace,
          labels: workload.metadata.labels ?? {}, spec: workload.spec });
      } else if (workload.kind === 'Deployment') {
        const controller = new DeploymentController(workload, namespace, factory, this.log);
        this.deployments.push(controller);
        controller.start();
      } else {
        const controller = new JobController(workload, namespace, factory, this.log,
          this.#options.backoffScale ?? 1);
        this.jobs.push(controller);
        controller.start();
      }
    }
  }

  onEvent(listener: (event: PodsimEvent) => void): () => void {
    return this.log.onEvent(listener);
  }

  onLog(listener: (line: ContainerLogLine) => void): () => void {
    return this.log.onLog(listener);
  }

  /** Deletes one pod (a controller replaces it, as in a cluster). */
  deletePod(name: string, graceOverride?: number, options: DeleteOptions = {}): Promise<void> {
    return this.pod(name).delete(graceOverride, options);
  }

  /** Deletes every workload and bare pod; resolves once every pod is gone. */
  async deleteAll(graceOverride?: number, options: DeleteOptions = {}): Promise<void> {
    this.log.emit('DeleteAll', { graceOverride, force: options.force });
    await Promise.all([
      ...this.deployments.map((d) => d.delete(graceOverride, options)),
      ...this.jobs.map((j) => j.delete(graceOverride, options)),
      ...this.#pods.filter((p) => p.owner === undefined)
        .map((p) => p.delete(graceOverride, options)),
    ]);
  }

  /** Rolls a Deployment to `template`, or restarts it like kubectl rollout restart. */
  rollout(deployment?: string, template?: PodTemplate): void {
    this.#deployment(deployment).rollout(template);
  }

  scale(deployment: string, replicas: number): void {
    this.#deployment(deployment).scale(replicas);
  }

  waitFor(match: (e: PodsimEvent) => boolean, what: string, boundMs = DEFAULT_WAIT_MS) {
    return this.log.waitFor(match, what, boundMs);
  }

  /** Resolves once the Deployment's latest revision has completed its rollout. */
  waitRolloutComplete(deployment?: string, boundMs = DEFAULT_WAIT_MS) {
    const controller = this.#deployment(deployment);
    const revision = controller.revision;
    return this.waitFor((e) => e.event === 'RolloutComplete' &&
      e.deployment === controller.name && e.revision === revision,
    `RolloutComplete of ${controller.name} revision ${revision}`, boundMs);
  }

  /** True when no pod runs and no controller will make another. */
  get isFinished(): boolean {
    const active = this.#pods.filter((p) => !p.gone && !p.isTerminal);
    const controllersDone = this.deployments.every((d) => d.deleted || d.replicas === 0) &&
      this.jobs.every((j) => j.finished || j.deleted);
    return this.#runtime !== undefined && active.length === 0 && controllersDone;
  }

  /** Resolves when every pod is gone or finished and no controller will create more. */
  async waitAllGone(boundMs = DEFAULT_WAIT_MS): Promise<void> {
    if (this.isFinished) return;
    await this.waitFor(() => this.isFinished, 'the end of every pod', boundMs);
  }

  /** Kills every process, removes every sandbox, socket and temp dir. Safe to call twice. */
  stop(): Promise<void> {
    this.#stopping ??= this.#stopOnce();
    return this.#stopping;
  }

  async #stopOnce(): Promise<void> {
    for (const d of this.deployments) d.deleted = true;
    for (const j of this.jobs) j.deleted = true;
    await Promise.all(this.#pods.map((p) => p.destroy()));
    await this.#bridge.close();
    await Promise.all([...this.#logFiles.values()].map((s) =>
      new Promise((resolve) => s.end(resolve))));
    if (this.#tempRoot) await rm(this.#tempRoot, { recursive: true, force: true });
  }

  #take(loaded: ReturnType<typeof parseManifests>, source: string): void {
    for (const ignored of loaded.ignored) {
      this.log.emit('ManifestIgnored', { kind: ignored.kind, name: ignored.name, source });
    }
    this.#workloads.push(...loaded.workloads);
  }

  #deployment(name?: string): DeploymentController {
    const found = name === undefined ? this.deployments[0] :
      this.deployments.find((d) => d.name === name);
    if (!found) {
      throw new PodsimError('PODSIM_NOT_FOUND', `no Deployment ${name ? `named "${name}"` :
        'was loaded'}; the loaded ones are: ${this.deployments.map((d) => d.name).join(', ')}`);
    }
    return found;
  }

  #createPod(init: PodInit): Pod {
    if (this.#pods.some((p) => p.name === init.name && !p.gone)) {
      throw new PodsimError('PODSIM_MANIFEST_INVALID', `pod "${init.name}" already exists`);
    }
    const pod = new Pod(init, this.log, this.#runtime!);
    this.#pods.push(pod);
    void pod.run();
    return pod;
  }

  #writeLog(line: ContainerLogLine): void {
    if (!this.#options.logsDir) return;
    const key = `${line.pod}_${line.container}`;
    let stream = this.#logFiles.get(key);
    if (!stream) {
      stream = createWriteStream(join(this.#options.logsDir, `${key}.log`), { flags: 'a' });
      this.#logFiles.set(key, stream);
    }
    stream.write(`${line.line}\n`);
  }
}

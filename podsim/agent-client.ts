// Host side of a pod agent: starts it in fresh network and mount namespaces and turns the line
// protocol into calls and callbacks.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

import type {
  AgentReport, AgentRequest, HostPortBinding, VolumeBinding,
} from './agent-protocol.js';
import { removeCgroupTree } from './container-cgroup.js';
import { PodsimError } from './errors.js';

const AGENT_SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'agent.js');
/** Bound on removing the pod's cgroup tree while the last killed processes are reaped. */
const CGROUP_REMOVE_BOUND_MS = 5_000;
const CGROUP_REMOVE_POLL_MS = 50;

export type ActionResult = Extract<AgentReport, { type: 'result' }>;

export interface ContainerCallbacks {
  onStarted(pid: number, hostPid: number | undefined): void;
  onExit(code: number | null, signal: NodeJS.Signals | null): void;
  onSpawnFailed(message: string): void;
  onLog(stream: 'stdout' | 'stderr', line: string): void;
}

type Distributive<T> = T extends unknown ? Omit<T, 'req'> : never;
export type ActionRequest = Distributive<Extract<AgentRequest, { req: number }>>;

let namespaceCheck: string | undefined | null = null;

/** Undefined when pods can get their own namespaces here, else the reason they cannot. */
export function namespacesUnavailableReason(): string | undefined {
  if (namespaceCheck !== null) return namespaceCheck;
  if (process.getuid?.() !== 0) {
    namespaceCheck = 'podsim needs root to create network and mount namespaces (uid is ' +
      `${process.getuid?.()})`;
    return namespaceCheck;
  }
  const probe = spawnSync('unshare', ['--net', '--mount', '--pid', '--fork', '--propagation',
    'private', 'ip', 'link', 'set', 'lo', 'up'], { encoding: 'utf8' });
  namespaceCheck = probe.status === 0 ? undefined :
    `unshare --net --mount --pid failed: ${(probe.stderr || String(probe.error)).trim()}`;
  return namespaceCheck;
}

export class AgentClient {
  readonly #child: ChildProcess;
  readonly #containers = new Map<string, ContainerCallbacks>();
  readonly #pending = new Map<number, (result: ActionResult) => void>();
  readonly #signalled = new Map<string, Array<(r: Extract<AgentReport, { type: 'signalled' }>)
    => void>>();
  readonly exited: Promise<void>;
  #nextReq = 1;
  #ready: { resolve: () => void; reject: (err: Error) => void } | undefined;
  #alive = true;
  #stderr = '';

  constructor(onDiagnostic: (text: string) => void) {
    // The agent is PID 1 of its own PID namespace: when it dies, the kernel kills every
    // process of the pod. It dies with unshare (--kill-child), which dies with us (setpriv).
    this.#child = spawn('setpriv', ['--pdeathsig', 'KILL', '--', 'unshare', '--net', '--mount',
      '--pid', '--kill-child=SIGKILL', '--propagation', 'private', '--',
      process.execPath, AGENT_SCRIPT], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.exited = new Promise((resolve) => {
      this.#child.once('exit', () => {
        this.#alive = false;
        this.#ready?.reject(new PodsimError('PODSIM_AGENT_FAILED', 'the pod agent exited ' +
          `before it was ready: ${this.#stderr.trim() || 'no output'}`));
        for (const resolvePending of this.#pending.values()) {
          resolvePending({ type: 'result', req: 0, ok: false, error: 'pod agent gone' });
        }
        this.#pending.clear();
        for (const waiting of this.#signalled.values()) {
          for (const resolveSignal of waiting.splice(0)) {
            resolveSignal({ type: 'signalled', id: '', signal: 'SIGKILL', delivered: false,
              note: 'pod agent gone' });
          }
        }
        resolve();
      });
    });
    this.#child.on('error', () => undefined);
    this.#child.stdin!.on('error', () => undefined);
    createInterface({ input: this.#child.stdout! }).on('line', (line) => this.#take(line));
    this.#child.stderr!.setEncoding('utf8').on('data', (text: string) => {
      this.#stderr = (this.#stderr + text).slice(-4000);
      onDiagnostic(text);
    });
  }

  /** The agent's pid on the host, once it is ready. */
  agentHostPid: number | undefined;
  /** The pod's cgroup directory (one cgroup per container run under it), once ready. */
  cgroup: string | undefined;
  /** Why the pod has no per-container cgroups: then only process groups are killed. */
  cgroupError: string | undefined;

  /** The pid of the sandbox's outer process (setpriv, then unshare) on the host. */
  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** Mounts the volumes and opens the host ports; rejects when not done within `boundMs`. */
  async init(volumes: VolumeBinding[], hostPorts: HostPortBinding[], boundMs: number) {
    let timer: NodeJS.Timeout | undefined;
    const ready = new Promise<void>((resolve, reject) => {
      this.#ready = { resolve, reject };
      timer = setTimeout(() => reject(new PodsimError('PODSIM_AGENT_FAILED', 'the pod agent ' +
        `was not ready within ${boundMs} ms; the machine may be overloaded`)), boundMs);
    });
    this.#send({ op: 'init', volumes, hostPorts });
    try {
      await ready;
    } finally {
      clearTimeout(timer);
    }
  }

  spawnContainer(
    id: string,
    spec: { argv: string[]; env: Record<string, string>; cwd: string; pid1Signals: boolean },
    callbacks: ContainerCallbacks,
  ): void {
    this.#containers.set(id, callbacks);
    this.#send({ op: 'spawn', id, ...spec });
  }

  /** Resolves with whether the signal reached a process (and why not, when it did not). */
  signal(id: string, signal: NodeJS.Signals, scope: 'leader' | 'group') {
    return new Promise<{ delivered: boolean; note?: string }>((resolve) => {
      if (!this.#alive) {
        resolve({ delivered: false, note: 'pod agent gone' });
        return;
      }
      const waiting = this.#signalled.get(id) ?? [];
      waiting.push((r) => resolve(r.note ? { delivered: r.delivered, note: r.note } :
        { delivered: r.delivered }));
      this.#signalled.set(id, waiting);
      this.#send({ op: 'signal', id, signal, scope });
    });
  }

  action(request: ActionRequest): Promise<ActionResult> {
    const req = this.#nextReq++;
    return new Promise((resolve) => {
      if (!this.#alive) {
        resolve({ type: 'result', req, ok: false, error: 'pod agent gone' });
        return;
      }
      this.#pending.set(req, resolve);
      this.#send({ ...request, req } as AgentRequest);
    });
  }

  /**
   * Closes the agent's stdin (it kills its processes and exits); SIGKILL after `boundMs`.
   * Then removes the pod's cgroups. `forced`: the bound forced the agent's end; `cgroupLeft`:
   * a cgroup still held a process after its own bound and is left behind.
   */
  async close(boundMs: number): Promise<{ forced: boolean; cgroupLeft: boolean }> {
    this.#child.stdin!.end();
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<'bound'>((resolve) => {
      timer = setTimeout(() => resolve('bound'), boundMs);
    });
    const first = await Promise.race([this.exited, bound]);
    clearTimeout(timer);
    if (first === 'bound') {
      this.#child.kill('SIGKILL');
      await this.exited;
    }
    const removed = await this.#removeCgroups();
    return { forced: first === 'bound', cgroupLeft: !removed };
  }

  /** False when a cgroup still held a process at its bound. */
  async #removeCgroups(): Promise<boolean> {
    if (this.cgroup === undefined) return true;
    const deadline = Date.now() + CGROUP_REMOVE_BOUND_MS;
    while (!removeCgroupTree(this.cgroup)) {
      if (Date.now() > deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, CGROUP_REMOVE_POLL_MS));
    }
    return true;
  }

  #send(request: AgentRequest): void {
    if (this.#alive) this.#child.stdin!.write(`${JSON.stringify(request)}\n`);
  }

  #take(line: string): void {
    let message: AgentReport;
    try {
      message = JSON.parse(line) as AgentReport;
    } catch {
      return;
    }
    switch (message.type) {
      case 'ready':
        this.agentHostPid = message.hostPid;
        this.cgroup = message.cgroup;
        this.cgroupError = message.cgroupError;
        this.#ready?.resolve();
        this.#ready = undefined;
        return;
      case 'fatal':
        this.#ready?.reject(new PodsimError('PODSIM_AGENT_FAILED', message.message));
        this.#ready = undefined;
        return;
      case 'started':
        return this.#containers.get(message.id)?.onStarted(message.pid, message.hostPid);
      case 'spawnFailed':
        return this.#containers.get(message.id)?.onSpawnFailed(message.message);
      case 'exit':
        return this.#containers.get(message.id)?.onExit(message.code, message.signal);
      case 'log':
        return this.#containers.get(message.id)?.onLog(message.stream, message.line);
      case 'signalled':
        return this.#signalled.get(message.id)?.shift()?.(message);
      case 'result': {
        const resolve = this.#pending.get(message.req);
        this.#pending.delete(message.req);
        return resolve?.(message);
      }
    }
  }
}

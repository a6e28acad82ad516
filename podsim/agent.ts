// The pod agent: one long-lived process per pod, started by podsim inside new network and mount
// namespaces. It mounts the pod's emptyDirs, brings loopback up, bridges host ports, spawns
// container processes (each its own process group) and runs httpGet/tcp/exec actions from
// inside the pod network. It is PID 1 of the pod's PID namespace, so its end is the end of
// every process of the pod. It reads requests on stdin and exits, killing every process it
// started, when stdin closes. This file is an entrypoint: it owns its process.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  accessSync, constants as fsConstants, existsSync, mkdirSync, openSync, readdirSync,
  readFileSync, readlinkSync,
} from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { constants } from 'node:os';
import { basename, delimiter, dirname, isAbsolute, join } from 'node:path';
import { createInterface } from 'node:readline';

import { PodCgroups } from './container-cgroup.js';
import type {
  AgentReport, AgentRequest, HostPortBinding, VolumeBinding,
} from './agent-protocol.js';

const MAX_BODY_BYTES = 10 * 1024;
const MAX_EXEC_OUTPUT = 4096;
/** How long the agent retries removing a killed container's cgroup while its processes die. */
const CGROUP_RELEASE_BOUND_MS = 5_000;
const CGROUP_RELEASE_POLL_MS = 50;

interface Container {
  child: ChildProcess;
  pid: number;
  /** The same process in the host's /proc, which is the /proc this agent sees. */
  hostPid: number | undefined;
  pid1Signals: boolean;
  execs: Set<ChildProcess>;
  /** The container's own cgroup; undefined when cgroups are unavailable (group-only kills). */
  cgroup: string | undefined;
}

const containers = new Map<string, Container>();
const execsByContainer = new Map<string, Set<ChildProcess>>();

/**
 * The agent's own tools, found on the agent's PATH once at start: a container's PATH (which
 * may lack /usr/bin) only decides how the container's own command is found.
 */
interface Tools {
  setpriv: string;
  ip: string;
  mount: string;
}

let tools: Tools | undefined;
/** Undefined when this machine gives no per-container cgroups (see `ready`'s cgroupError). */
let cgroups: PodCgroups | undefined;

function findTool(name: string): string {
  const path = process.env.PATH ?? '';
  for (const dir of path.split(delimiter)) {
    if (!isAbsolute(dir)) continue;
    try {
      accessSync(join(dir, name), fsConstants.X_OK);
      return join(dir, name);
    } catch {
      // Not in this directory; look in the next one.
    }
  }
  throw new Error(`the pod agent needs "${name}" but found no executable of that name on its ` +
    `PATH (${JSON.stringify(path)}); install util-linux/iproute2 or run podsim with a PATH ` +
    'that holds it');
}

function resolveTools(): Tools {
  return { setpriv: findTool('setpriv'), ip: findTool('ip'), mount: findTool('mount') };
}

function report(message: AgentReport): void {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

function killGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false;
  }
}

/**
 * A path to `dir` that keeps working after a mount hides it (a volume mounted at /tmp hides
 * podsim's temp dir): /proc/self/fd/N is a link to the open directory itself.
 */
function pinnedPath(dir: string): string {
  return `/proc/self/fd/${openSync(dir, 'r')}`;
}

async function setUp(volumes: VolumeBinding[], hostPorts: HostPortBinding[], found: Tools) {
  const lo = spawnSync(found.ip, ['link', 'set', 'lo', 'up'], { encoding: 'utf8' });
  if (lo.status !== 0) throw new Error(`ip link set lo up failed: ${lo.stderr || lo.error}`);
  const sources = volumes.map((v) => openSync(v.hostDir, 'r'));
  const sockets = hostPorts.map((b) => `${pinnedPath(dirname(b.socket))}/${basename(b.socket)}`);
  volumes.forEach((volume, index) => {
    mkdirSync(volume.mountPath, { recursive: true });
    // The child sees the volume's directory as its fd 3, whatever a mount hides.
    const mount = spawnSync(found.mount, ['--bind', '/proc/self/fd/3', volume.mountPath], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe', sources[index]!],
    });
    if (mount.status !== 0) {
      throw new Error(`mount --bind ${volume.hostDir} ${volume.mountPath} failed: ` +
        mount.stderr);
    }
  });
  // Ready only once every bridge listens: a container started earlier would be refused.
  await Promise.all(hostPorts.map((binding, index) => bridgePort(binding.port, sockets[index]!)));
}

/** Listens on 127.0.0.1:port in the pod network and pipes each connection to the host socket. */
function bridgePort(port: number, socket: string): Promise<void> {
  // No Nagle delay on the pod side either (see host-bridge.ts).
  const server = net.createServer({ noDelay: true }, (inside) => {
    const outside = net.connect(socket);
    inside.pipe(outside).pipe(inside);
    inside.on('error', () => outside.destroy());
    outside.on('error', () => inside.destroy());
  });
  return new Promise((resolve, reject) => {
    server.once('error', (err) => reject(new Error(`host port ${port}: ${err.message}`)));
    server.listen(port, '127.0.0.1', () => {
      server.on('error', (err) => report({ type: 'fatal', message: `host port ${port}: ${err}` }));
      resolve();
    });
  });
}

/**
 * The pid of a process of this PID namespace as the host sees it: /proc is still the host's,
 * and its NSpid line lists the pid in every namespace, ours last.
 */
function hostPidOf(podPid: number): number | undefined {
  const ours = readlinkSync('/proc/self/ns/pid');
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const nspid = /^NSpid:\s*(.+)$/m.exec(readFileSync(`/proc/${entry}/status`, 'utf8'))?.[1];
      const pids = nspid?.trim().split(/\s+/) ?? [];
      if (pids.length < 2 || Number(pids.at(-1)) !== podPid) continue;
      if (readlinkSync(`/proc/${entry}/ns/pid`) === ours) return Number(entry);
    } catch {
      // The process ended while we looked; it is not the one we want.
    }
  }
  return undefined;
}

function forwardLines(id: string, stream: 'stdout' | 'stderr', child: ChildProcess): void {
  const source = stream === 'stdout' ? child.stdout : child.stderr;
  if (!source) return;
  createInterface({ input: source })
    .on('line', (line) => report({ type: 'log', id, stream, line }));
}

/** Kills what is left of a container: its whole cgroup, else its process group. */
function killContainer(pid: number, cgroup: string | undefined): boolean {
  if (cgroups && cgroup) return cgroups.kill(cgroup);
  return killGroup(pid, 'SIGKILL');
}

/** Removes a killed container's cgroup once its last process is gone (bounded). */
function releaseCgroup(cgroup: string | undefined, waitedMs = 0): void {
  if (!cgroups || !cgroup || cgroups.remove(cgroup)) return;
  if (waitedMs >= CGROUP_RELEASE_BOUND_MS) {
    // Left for the host, which removes the pod's cgroup tree after this agent ends.
    process.stderr.write(`cgroup ${cgroup} still held a process after ` +
      `${CGROUP_RELEASE_BOUND_MS} ms\n`);
    return;
  }
  setTimeout(() => releaseCgroup(cgroup, waitedMs + CGROUP_RELEASE_POLL_MS),
    CGROUP_RELEASE_POLL_MS);
}

/** Spawns a container's process (or an exec in it) inside `cgroup`, when there is one. */
function spawnIn(cgroup: string | undefined, argv: string[], cwd: string,
  env: Record<string, string>): ChildProcess {
  const [command, ...args] = argv;
  // Without this check a missing directory is reported as the command's ENOENT.
  if (!existsSync(cwd)) {
    throw new Error(`working directory ${cwd} does not exist in the pod (a volume mounted ` +
      'over a parent hides it?); set workingDir on the container');
  }
  // setpriv makes the process die with this agent even if the agent is SIGKILLed.
  const start = () => spawn(tools!.setpriv, ['--pdeathsig', 'KILL', '--', command!, ...args], {
    cwd,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return cgroups && cgroup ? cgroups.spawnInto(cgroup, start) : start();
}

function spawnContainer(request: Extract<AgentRequest, { op: 'spawn' }>): void {
  let cgroup: string | undefined;
  let child: ChildProcess;
  try {
    cgroup = cgroups?.create();
    child = spawnIn(cgroup, request.argv, request.cwd, request.env);
  } catch (err) {
    report({ type: 'spawnFailed', id: request.id,
      message: `cannot start the container: ${(err as Error).message}` });
    releaseCgroup(cgroup);
    return;
  }
  child.once('error', (err) => {
    report({ type: 'spawnFailed', id: request.id, message: err.message });
  });
  child.once('spawn', () => {
    const execs = execsByContainer.get(request.id) ?? new Set<ChildProcess>();
    execsByContainer.set(request.id, execs);
    const hostPid = hostPidOf(child.pid!);
    containers.set(request.id, { child, pid: child.pid!, hostPid,
      pid1Signals: request.pid1Signals, execs, cgroup });
    report({ type: 'started', id: request.id, pid: child.pid!,
      ...(hostPid === undefined ? {} : { hostPid }) });
    forwardLines(request.id, 'stdout', child);
    forwardLines(request.id, 'stderr', child);
  });
  child.once('exit', (code, signal) => {
    // A container ends with its main process: the runtime kills every process left in it,
    // whatever its session or process group, exec'd hook and probe processes included.
    killContainer(child.pid!, cgroup);
    for (const exec of execsByContainer.get(request.id) ?? []) {
      if (exec.pid) killGroup(exec.pid, 'SIGKILL');
    }
    containers.delete(request.id);
    report({ type: 'exit', id: request.id, code, signal });
    releaseCgroup(cgroup);
  });
}

/** True when the process has a handler for `signal` (the SigCgt mask in /proc). */
function catchesSignal(pid: number, signal: NodeJS.Signals): boolean {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const mask = /^SigCgt:\s*([0-9a-f]+)$/m.exec(status)?.[1];
    const number = constants.signals[signal];
    return mask !== undefined && ((BigInt(`0x${mask}`) >> BigInt(number - 1)) & 1n) === 1n;
  } catch {
    return true;
  }
}

function signalContainer(request: Extract<AgentRequest, { op: 'signal' }>): void {
  const container = containers.get(request.id);
  const { id, signal } = request;
  if (!container) {
    report({ type: 'signalled', id, signal, delivered: false, note: 'not running' });
    return;
  }
  if (request.scope === 'group') {
    for (const exec of container.execs) if (exec.pid) killGroup(exec.pid, signal);
    const delivered = signal === 'SIGKILL' ? killContainer(container.pid, container.cgroup) :
      killGroup(container.pid, signal);
    report({ type: 'signalled', id, signal, delivered });
    return;
  }
  const procPid = container.hostPid;
  if (container.pid1Signals && signal !== 'SIGKILL' && procPid !== undefined &&
    !catchesSignal(procPid, signal)) {
    report({ type: 'signalled', id, signal, delivered: false, note: 'ignored by init' });
    return;
  }
  let delivered = true;
  try {
    process.kill(container.pid, signal);
  } catch {
    delivered = false;
  }
  report({ type: 'signalled', id, signal, delivered });
}

function runExec(request: Extract<AgentRequest, { op: 'exec' }>): void {
  // An exec runs in its container, so the container's end ends it and all it started.
  const cgroup = containers.get(request.id)?.cgroup;
  let child: ChildProcess;
  try {
    child = spawnIn(cgroup, request.argv, request.cwd, request.env);
  } catch (err) {
    report({ type: 'result', req: request.req, ok: false,
      error: `cannot start the exec: ${(err as Error).message}` });
    return;
  }
  const execs = execsByContainer.get(request.id) ?? new Set<ChildProcess>();
  execsByContainer.set(request.id, execs);
  execs.add(child);
  let output = '';
  const collect = (chunk: Buffer) => {
    if (output.length < MAX_EXEC_OUTPUT) output += chunk.toString('utf8');
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  let timedOut = false;
  const timer = request.timeoutMs === null ? undefined : setTimeout(() => {
    timedOut = true;
    if (child.pid) killGroup(child.pid, 'SIGKILL');
  }, request.timeoutMs);
  child.once('error', (err) => {
    clearTimeout(timer);
    execs.delete(child);
    report({ type: 'result', req: request.req, ok: false, error: err.message });
  });
  child.once('exit', (code, signal) => {
    clearTimeout(timer);
    execs.delete(child);
    const exitCode = code ?? 128 + (signal ? constants.signals[signal] : 0);
    report({ type: 'result', req: request.req, ok: exitCode === 0 && !timedOut, exitCode,
      timedOut, output: output.slice(0, MAX_EXEC_OUTPUT) });
  });
}

function runHttp(request: Extract<AgentRequest, { op: 'http' }>): void {
  const client = request.scheme === 'https' ? https : http;
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of request.headers) {
    const previous = headers[name];
    headers[name] = previous === undefined ? value : [previous, value].flat();
  }
  const req = client.request({
    host: request.host,
    port: request.port,
    path: request.path,
    method: 'GET',
    headers,
    rejectUnauthorized: false,
    agent: false,
  }, (res) => {
    let seen = 0;
    res.on('data', (chunk: Buffer) => {
      seen += chunk.length;
      if (seen > MAX_BODY_BYTES) res.destroy();
    });
    res.on('close', () => undefined);
    report({ type: 'result', req: request.req, ok: true, status: res.statusCode ?? 0 });
    res.resume();
  });
  if (request.timeoutMs !== null) {
    req.setTimeout(request.timeoutMs, () => req.destroy(new Error('timeout')));
  }
  req.on('error', (err) => {
    report({ type: 'result', req: request.req, ok: false, error: err.message,
      timedOut: err.message === 'timeout' });
  });
  req.end();
}

function runTcp(request: Extract<AgentRequest, { op: 'tcp' }>): void {
  const socket = net.connect({ host: request.host, port: request.port });
  const finish = (ok: boolean, error?: string) => {
    socket.destroy();
    report({ type: 'result', req: request.req, ok, ...(error ? { error } : {}) });
  };
  socket.setTimeout(request.timeoutMs, () => finish(false, 'timeout'));
  socket.once('connect', () => finish(true));
  socket.once('error', (err) => finish(false, err.message));
}

/** Per-container cgroups when this machine allows them; else the reason, for an event. */
function openCgroups(): { cgroup: string } | { cgroupError: string } {
  try {
    cgroups = PodCgroups.open(Number(readlinkSync('/proc/self')));
    return { cgroup: cgroups.root };
  } catch (err) {
    return { cgroupError: (err as Error).message };
  }
}

async function initialise(volumes: VolumeBinding[], hostPorts: HostPortBinding[]) {
  try {
    tools = resolveTools();
    await setUp(volumes, hostPorts, tools);
    report({ type: 'ready', hostPid: Number(readlinkSync('/proc/self')), ...openCgroups() });
  } catch (err) {
    report({ type: 'fatal', message: (err as Error).message });
  }
}

function handle(request: AgentRequest): void {
  switch (request.op) {
    case 'init':
      void initialise(request.volumes, request.hostPorts);
      return;
    case 'spawn':
      return spawnContainer(request);
    case 'signal':
      return signalContainer(request);
    case 'exec':
      return runExec(request);
    case 'http':
      return runHttp(request);
    case 'tcp':
      return runTcp(request);
  }
}

function shutDown(): void {
  for (const container of containers.values()) killContainer(container.pid, container.cgroup);
  for (const execs of execsByContainer.values()) {
    for (const exec of execs) if (exec.pid) killGroup(exec.pid, 'SIGKILL');
  }
  process.exit(0);
}

createInterface({ input: process.stdin })
  .on('line', (line) => {
    if (line.trim() === '') return;
    handle(JSON.parse(line) as AgentRequest);
  })
  .on('close', shutDown);
process.on('SIGTERM', shutDown);
process.on('SIGINT', () => undefined);

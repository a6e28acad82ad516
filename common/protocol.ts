// The coordination-directory protocol between drainwatch-shim and drainwatch-sidecar.
// docs/protocol.md is its description for people; this module is the only implementation.
//
// Layout under the coordination directory (an emptyDir shared by the pod's containers):
//   kill_sidecar              completion marker: the worker is done (owner: worker / shim)
//   drainwatch/worker.json    worker state and heartbeat (owner: shim)
//   drainwatch/drain.json     drain request (owner: sidecar)
//   drainwatch/tasks/         one entry per task in progress (owner: the worker process)
// Every file is written to a temporary name beside its target and renamed into place, so a
// reader never sees half a file. Temporary names end in ".tmp" and watchers skip them.

import { randomUUID } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export const PROTOCOL_VERSION = 1;
export const DEFAULT_DIR = '/tmp/share';
export const DEFAULT_MARKER_NAME = 'kill_sidecar';
export const STATE_SUBDIR = 'drainwatch';
/** Larger files are not drainwatch's: they are reported, not read whole. */
export const MAX_PROTOCOL_FILE_BYTES = 64 * 1024;

export interface ProtocolPaths {
  dir: string;
  marker: string;
  stateDir: string;
  workerState: string;
  drainRequest: string;
  tasksDir: string;
}

export function protocolPaths(dir: string, markerName = DEFAULT_MARKER_NAME): ProtocolPaths {
  const stateDir = join(dir, STATE_SUBDIR);
  return {
    dir,
    marker: join(dir, markerName),
    stateDir,
    workerState: join(stateDir, 'worker.json'),
    drainRequest: join(stateDir, 'drain.json'),
    tasksDir: join(stateDir, 'tasks'),
  };
}

export type WorkerPhase = 'starting' | 'idle' | 'busy' | 'draining' | 'finished';
export const WORKER_PHASES: readonly WorkerPhase[] =
  ['starting', 'idle', 'busy', 'draining', 'finished'];

/** drainwatch/worker.json, rewritten on every change of state and every heartbeat. */
export interface WorkerState {
  version: typeof PROTOCOL_VERSION;
  /** New at every start of the worker container (every start of the shim). */
  instance: string;
  state: WorkerPhase;
  /** pid of the worker process, or of the shim while no worker runs. */
  pid: number;
  mode: 'loop' | 'supervise';
  /** ISO times. */
  startedAt: string;
  since: string;
  heartbeatAt: string;
  /** Milliseconds between heartbeats, so a reader can judge staleness without configuration. */
  heartbeatIntervalMs: number;
}

export type CompletionReason = 'exited' | 'drained' | 'spawn-failed' | 'crash-loop';

/** The body the shim writes into kill_sidecar. An empty marker file is valid too. */
export interface CompletionMarker {
  version: typeof PROTOCOL_VERSION;
  instance: string;
  exitCode: number | null;
  signal: string | null;
  /** true when the worker will not run again in this pod (see isFinalExit). */
  final: boolean;
  reason: CompletionReason;
  error?: string;
  time: string;
}

export type DrainReason = 'prestop' | 'sigterm';

/** drainwatch/drain.json: the pod is terminating; the worker should finish and stop. */
export interface DrainRequest {
  version: typeof PROTOCOL_VERSION;
  requestedAt: string;
  reason: DrainReason;
  /** The sidecar instance that asked. */
  by: string;
}

export type RestartPolicy = 'Always' | 'OnFailure' | 'Never';
export const RESTART_POLICIES: readonly RestartPolicy[] = ['Always', 'OnFailure', 'Never'];

/**
 * Whether a worker exit is its last in this pod. After a drain the pod is terminating and the
 * kubelet restarts nothing, so the exit is final whatever the policy; otherwise the pod's
 * restart policy decides, as the kubelet would.
 */
export function isFinalExit(policy: RestartPolicy, exitCode: number, drained: boolean): boolean {
  if (drained) return true;
  if (policy === 'Never') return true;
  if (policy === 'OnFailure') return exitCode === 0;
  return false;
}

export function newInstanceId(): string {
  return randomUUID();
}

/** Writes `content` to `target` through a temporary file in the same directory, then rename. */
export async function writeFileAtomic(target: string, content: string): Promise<void> {
  const unique = `${process.pid}.${randomUUID().slice(0, 8)}`;
  const staging = join(dirname(target), `.${basename(target)}.${unique}.tmp`);
  const handle = await open(staging, 'w', 0o644);
  try {
    await handle.writeFile(content);
  } finally {
    await handle.close();
  }
  try {
    await rename(staging, target);
  } catch (err) {
    await rm(staging, { force: true });
    throw err;
  }
}

export async function writeJsonAtomic(target: string, body: object): Promise<void> {
  await writeFileAtomic(target, `${JSON.stringify(body)}\n`);
}

export function isTemporaryName(path: string): boolean {
  return path.endsWith('.tmp');
}

/** Creates the state and tasks directories; fails with the OS error when the volume is unusable. */
export async function ensureLayout(paths: ProtocolPaths): Promise<void> {
  await mkdir(paths.tasksDir, { recursive: true });
}

/**
 * What a protocol file holds. `invalid` means the file exists but is not a well-formed
 * drainwatch body: callers log a warning with `problem` and decide what it counts as.
 */
export type ReadResult<T> =
  | { kind: 'absent' }
  | { kind: 'empty' }
  | { kind: 'valid'; body: T }
  | { kind: 'invalid'; problem: string };

async function readProtocolFile<T>(
  path: string,
  validate: (value: unknown) => string | undefined,
): Promise<ReadResult<T>> {
  let text: string;
  try {
    const handle = await open(path, 'r');
    try {
      const { size } = await handle.stat();
      if (size > MAX_PROTOCOL_FILE_BYTES) {
        const problem = `file is ${size} bytes, more than ${MAX_PROTOCOL_FILE_BYTES}`;
        return { kind: 'invalid', problem };
      }
      text = await handle.readFile('utf8');
    } finally {
      await handle.close();
    }
  } catch (err) {
    // Removed between the watch event and the read, or never there: both mean "absent".
    if (isErrno(err, 'ENOENT')) return { kind: 'absent' };
    if (isErrno(err, 'EISDIR')) return { kind: 'invalid', problem: 'path is a directory' };
    throw err;
  }
  if (text.trim() === '') return { kind: 'empty' };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { kind: 'invalid', problem: 'body is not JSON' };
  }
  const problem = validate(value);
  return problem === undefined ? { kind: 'valid', body: value as T } : { kind: 'invalid', problem };
}

export function readCompletionMarker(path: string): Promise<ReadResult<CompletionMarker>> {
  return readProtocolFile<CompletionMarker>(path, (v) =>
    checkFields(v, {
      instance: 'string',
      final: 'boolean',
      exitCode: 'number|null',
      signal: 'string|null',
      time: 'string',
    }));
}

export function readWorkerState(path: string): Promise<ReadResult<WorkerState>> {
  return readProtocolFile<WorkerState>(path, (v) => {
    const problem = checkFields(v, {
      instance: 'string',
      state: 'string',
      pid: 'number',
      heartbeatAt: 'string',
      heartbeatIntervalMs: 'number',
      startedAt: 'string',
      since: 'string',
    });
    if (problem) return problem;
    const state = (v as { state: string }).state;
    if (!WORKER_PHASES.includes(state as WorkerPhase)) return `unknown state "${state}"`;
    const heartbeatAt = Date.parse((v as WorkerState).heartbeatAt);
    if (Number.isNaN(heartbeatAt)) return 'heartbeatAt is not a time';
    return undefined;
  });
}

export function readDrainRequest(path: string): Promise<ReadResult<DrainRequest>> {
  return readProtocolFile<DrainRequest>(path, (v) =>
    checkFields(v, { requestedAt: 'string', reason: 'string', by: 'string' }));
}

type FieldType = 'string' | 'number' | 'boolean' | 'number|null' | 'string|null';

function checkFields(value: unknown, fields: Record<string, FieldType>): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return 'body is not a JSON object';
  }
  const record = value as Record<string, unknown>;
  if (record.version !== PROTOCOL_VERSION) {
    return `version is ${JSON.stringify(record.version)}, expected ${PROTOCOL_VERSION}`;
  }
  for (const [name, type] of Object.entries(fields)) {
    const actual = record[name] === null ? 'null' : typeof record[name];
    if (!type.split('|').includes(actual)) return `field "${name}" is ${actual}, expected ${type}`;
  }
  return undefined;
}

export function isErrno(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as NodeJS.ErrnoException).code === code;
}

// Shared steps for the sidecar tests: start the built program on an ephemeral port in a temp
// coordination directory, talk to it over HTTP, and write the shim's files as the shim would.

import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestContext } from 'node:test';

import { PROTOCOL_VERSION, writeJsonAtomic, type WorkerState } from '../../common/protocol.js';
import { SIDECAR_BIN, startNode, tempDir, type Running } from '../helpers.js';

export interface StartedSidecar {
  run: Running;
  dir: string;
  port: number;
  url: (path: string) => string;
}

export interface SidecarStart {
  env?: Record<string, string>;
  args?: string[];
  dir?: string;
  /** Wait for http.listening (default) or return as soon as the process runs. */
  waitListening?: boolean;
}

export async function startSidecar(t: TestContext, options: SidecarStart = {}) {
  const dir = options.dir ?? await tempDir(t, 'drainwatch-sidecar-');
  const run = startNode(t, SIDECAR_BIN, options.args ?? [], {
    env: { DRAINWATCH_DIR: dir, DRAINWATCH_PORT: '0', DRAINWATCH_HOST: '127.0.0.1',
      DRAINWATCH_LOG_LEVEL: 'debug', ...options.env },
  });
  let port = 0;
  if (options.waitListening !== false) {
    const line = await run.waitForEvent('http.listening');
    port = line.port as number;
  }
  const url = (path: string) => `http://127.0.0.1:${port}${path}`;
  const started: StartedSidecar = { run, dir, port, url };
  return started;
}

export async function getJson(url: string, headers: Record<string, string> = {}) {
  const response = await fetch(url, { headers, signal: AbortSignal.timeout(20_000) });
  const text = await response.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    body = { text };
  }
  return { status: response.status, headers: response.headers, body };
}

export function workerState(instance: string, fields: Partial<WorkerState> = {}): WorkerState {
  const now = new Date().toISOString();
  return {
    version: PROTOCOL_VERSION,
    instance,
    state: 'busy',
    pid: process.pid,
    mode: 'supervise',
    startedAt: now,
    since: now,
    heartbeatAt: now,
    heartbeatIntervalMs: 1000,
    ...fields,
  };
}

export async function writeWorker(dir: string, state: WorkerState): Promise<void> {
  await mkdir(join(dir, 'drainwatch'), { recursive: true });
  await writeJsonAtomic(join(dir, 'drainwatch', 'worker.json'), state);
}

/** Touches an empty marker, as a shell would; renames a JSON one into place, as the shim does. */
export async function writeMarker(dir: string, body: object | '' = ''): Promise<void> {
  if (body === '') await writeFile(join(dir, 'kill_sidecar'), '');
  else await writeJsonAtomic(join(dir, 'kill_sidecar'), body);
}

export function completion(instance: string, final: boolean) {
  return { version: PROTOCOL_VERSION, instance, exitCode: 0, signal: null, final,
    reason: final ? 'exited' : 'drained', time: new Date().toISOString() };
}

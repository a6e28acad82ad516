// Running drainwatch-shim against fixture workers in a temporary coordination directory.

import { access, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestContext } from 'node:test';

import { FIXTURES, SHIM_BIN, startNode, tempDir, WAIT_MS, type Running } from '../helpers.js';
import type { CompletionMarker } from '../../common/protocol.js';
import { protocolPaths, writeJsonAtomic, type ProtocolPaths } from '../../common/protocol.js';

export interface ShimRun {
  shim: Running;
  dir: string;
  paths: ProtocolPaths;
}

export interface ShimStart {
  /** Fixture name without extension, or an absolute command. */
  worker: string;
  workerArgs?: string[];
  shimArgs?: string[];
  env?: Record<string, string>;
  /** Coordination directory to use; a new temporary one by default. */
  dir?: string;
}

export function fixture(name: string): string {
  return join(FIXTURES, `${name}.js`);
}

export async function startShim(t: TestContext, start: ShimStart): Promise<ShimRun> {
  const dir = start.dir ?? await tempDir(t, 'drainwatch-shim-');
  const command = start.worker.startsWith('/')
    ? [start.worker]
    : [process.execPath, fixture(start.worker)];
  const argv = [...(start.shimArgs ?? []), '--', ...command, ...(start.workerArgs ?? [])];
  const shim = startNode(t, SHIM_BIN, argv, {
    env: { DRAINWATCH_DIR: dir, DRAINWATCH_LOG_LEVEL: 'debug', ...start.env },
  });
  return { shim, dir, paths: protocolPaths(dir) };
}

export async function readMarker(paths: ProtocolPaths): Promise<CompletionMarker> {
  return JSON.parse(await readFile(paths.marker, 'utf8')) as CompletionMarker;
}

export async function requestDrainByFile(paths: ProtocolPaths): Promise<void> {
  await writeJsonAtomic(paths.drainRequest, {
    version: 1, requestedAt: new Date().toISOString(), reason: 'prestop', by: 'test',
  });
}

/** Waits for a file another process writes (a handshake), bounded by WAIT_MS. */
export async function waitForFile(path: string, timeoutMs = WAIT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await access(path);
      return;
    } catch {
      if (Date.now() > deadline) {
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${path}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
}

export async function release(dir: string): Promise<void> {
  await writeFile(releaseFile(dir), 'go\n');
}

export function releaseFile(dir: string): string {
  return join(dir, 'release');
}

export function count(run: Running, event: string): number {
  return run.events().filter((e) => e === event).length;
}

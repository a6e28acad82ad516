// Protocol rule 1: before its first state and before the worker runs, the shim removes what an
// earlier instance left on the volume (an emptyDir outlives container restarts): the completion
// marker first, so the sidecar never pairs an old marker with the new instance, then
// worker.json, then the task entries.

import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

import { ensureLayout, isErrno, type ProtocolPaths } from '../common/protocol.js';

export interface ClearedState {
  marker: boolean;
  workerState: boolean;
  tasks: number;
}

export async function clearPreviousInstance(paths: ProtocolPaths): Promise<ClearedState> {
  const marker = await removeFile(paths.marker);
  const workerState = await removeFile(paths.workerState);

  const tasks = await removeTaskEntries(paths.tasksDir);

  await ensureLayout(paths);
  return { marker, workerState, tasks };
}

/** Removes every entry of the tasks directory; returns how many there were. */
export async function removeTaskEntries(tasksDir: string): Promise<number> {
  const names = await listDir(tasksDir);
  for (const name of names) {
    await rm(join(tasksDir, name), { recursive: true, force: true });
  }
  return names.length;
}

async function removeFile(path: string): Promise<boolean> {
  try {
    await rm(path);
    return true;
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return false;
    throw err;
  }
}

async function listDir(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return [];
    throw err;
  }
}

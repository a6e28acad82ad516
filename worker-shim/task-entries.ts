// Task entries for the busy protocol, written from inside the worker process: one file per task
// in progress in DRAINWATCH_TASKS_DIR. Synchronous on purpose: when beginTask() returns, the
// entry is on disk, so a drain can never see the worker idle in the middle of its task.

import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { PROTOCOL_VERSION } from '../common/protocol.js';

export interface Task {
  /** The entry's file name in the tasks directory ("" when drainwatch is not in use). */
  readonly id: string;
  /** Removes the entry; calling it again does nothing. */
  end(): void;
}

let sequence = 0;

export function createTaskEntry(tasksDir: string, name: string | undefined): Task {
  sequence += 1;
  const id = `${process.pid}-${sequence}${name === undefined ? '' : `-${safeName(name)}`}`;
  const target = join(tasksDir, id);
  const staging = `${target}.tmp`;
  const startedAt = new Date().toISOString();
  const body = { version: PROTOCOL_VERSION, name: name ?? null, pid: process.pid, startedAt };

  try {
    writeFileSync(staging, `${JSON.stringify(body)}\n`);
    renameSync(staging, target);
  } catch (err) {
    rmSync(staging, { force: true });
    throw new Error(
      `drainwatch: cannot record a task in ${tasksDir} (${(err as Error).message}). ` +
      'Check that DRAINWATCH_TASKS_DIR names the shim\'s tasks directory and that it is writable.',
      { cause: err },
    );
  }

  let ended = false;
  return {
    id,
    end() {
      if (ended) return;
      ended = true;
      rmSync(target, { force: true });
    },
  };
}

export const NO_TASK: Task = Object.freeze({ id: '', end() {} });

/** Keeps a task name usable as a file name and clear of the ".tmp" suffix readers skip. */
function safeName(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 80).replace(/\.tmp$/, '_tmp');
}

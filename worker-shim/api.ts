// The package's Node API (`import { beginTask } from 'drainwatch'`): lets a Node worker run by
// drainwatch-shim report its tasks and hear about a drain. It works through the files of
// docs/protocol.md, found through the variables the shim gives the worker. Without them (the
// worker runs outside the shim) every call is harmless: tasks are not recorded, isDraining()
// is false and drain callbacks never fire.

import type { Env } from '../common/config.js';
import { DrainListener } from './drain-listener.js';
import { createTaskEntry, NO_TASK, type Task } from './task-entries.js';

export type { Task };

export interface Drainwatch {
  /** true when the shim's variables were found and calls act on its files. */
  readonly enabled: boolean;
  /** Marks a task as in progress until `end()` is called; the worker is busy meanwhile. */
  beginTask(name?: string): Task;
  /** Runs `fn` as one task, ending it however `fn` ends. */
  withTask<T>(fn: () => T | Promise<T>, name?: string): Promise<T>;
  /** true once a drain has begun: take no new task. */
  isDraining(): boolean;
  /** Calls `callback` once when a drain begins; returns a function that cancels it. */
  onDrain(callback: () => void): () => void;
  /** Resolves when a drain begins (never, when drainwatch is not in use). */
  drained(): Promise<void>;
}

export interface DrainwatchOptions {
  /** How often drain files are re-read besides file events; default 200 ms. */
  pollIntervalMs?: number;
}

export function createDrainwatch(env: Env, options: DrainwatchOptions = {}): Drainwatch {
  const tasksDir = env.DRAINWATCH_TASKS_DIR?.trim();
  const stateFile = env.DRAINWATCH_STATE_FILE?.trim();
  if (!tasksDir || !stateFile) return disabled();

  const listener = new DrainListener(stateFile, options.pollIntervalMs ?? 200);
  const beginTask = (name?: string) => createTaskEntry(tasksDir, name);
  return {
    enabled: true,
    beginTask,
    withTask: (fn, name) => runAsTask(beginTask(name), fn),
    isDraining: () => listener.isDraining(),
    onDrain: (callback) => listener.onDrain(callback),
    drained: () => new Promise((resolve) => listener.onDrain(resolve)),
  };
}

function disabled(): Drainwatch {
  return {
    enabled: false,
    beginTask: () => NO_TASK,
    withTask: (fn) => runAsTask(NO_TASK, fn),
    isDraining: () => false,
    onDrain: () => () => {},
    drained: () => new Promise(() => {}),
  };
}

async function runAsTask<T>(task: Task, fn: () => T | Promise<T>): Promise<T> {
  try {
    return await fn();
  } finally {
    task.end();
  }
}

let fromProcess: Drainwatch | undefined;

/** The instance for this process, configured from its environment on first use. */
export function drainwatch(): Drainwatch {
  // A library reading process.env is the exception here: the shim hands the worker its
  // settings through the environment, and this is where the worker picks them up.
  fromProcess ??= createDrainwatch(process.env);
  return fromProcess;
}

export const beginTask = (name?: string): Task => drainwatch().beginTask(name);
export const withTask = <T>(fn: () => T | Promise<T>, name?: string): Promise<T> =>
  drainwatch().withTask(fn, name);
export const isDraining = (): boolean => drainwatch().isDraining();
export const onDrain = (callback: () => void): (() => void) => drainwatch().onDrain(callback);
export const drained = (): Promise<void> => drainwatch().drained();

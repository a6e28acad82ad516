// What the shim reads from the coordination directory: whether a drain was requested
// (drain.json) and how many tasks the worker has in progress (entries of tasks/). Level-
// triggered: every watch event, and a timer as a backstop, lead to a fresh read of both.

import { readdir } from 'node:fs/promises';

import type { Logger } from '../common/log.js';
import { isErrno, isTemporaryName, readDrainRequest } from '../common/protocol.js';
import type { ProtocolPaths } from '../common/protocol.js';
import { watchDirectory, type DirectoryWatch } from '../common/watch.js';

export interface Coordination {
  drainRequested: boolean;
  tasks: number;
}

export interface CoordinationOptions {
  paths: ProtocolPaths;
  watchPoll: boolean;
  pollIntervalMs: number;
  log: Logger;
  onRead: (view: Coordination) => void;
}

export class CoordinationReader {
  readonly #options: CoordinationOptions;
  #watch: DirectoryWatch | undefined;
  #timer: NodeJS.Timeout | undefined;
  #reading: Promise<void> | undefined;
  #again = false;
  #warnedDrainBody = false;

  constructor(options: CoordinationOptions) {
    this.#options = options;
  }

  /** Starts watching and resolves after the first full read. */
  async start(): Promise<void> {
    const { paths, watchPoll, pollIntervalMs, log } = this.#options;
    this.#watch = watchDirectory(paths.stateDir, { usePolling: watchPoll, pollIntervalMs },
      () => this.refresh(),
      (err) => log.warn({ event: 'watch.error', err }, 'the directory watch reported an error'));
    await this.#watch.ready;
    // The timer is a backstop for events a watch can miss: a volume where inotify sees nothing
    // (until DRAINWATCH_WATCH_POLL is set), or a tasks directory removed and created again.
    this.#timer = setInterval(() => this.refresh(), pollIntervalMs);
    this.refresh();
    await this.#reading;
  }

  /** Schedules a read; reads never overlap, and requests made during one lead to one more. */
  refresh(): void {
    if (this.#reading) {
      this.#again = true;
      return;
    }
    this.#reading = this.#readLoop().finally(() => (this.#reading = undefined));
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.#watch?.close();
    await this.#reading;
  }

  async #readLoop(): Promise<void> {
    do {
      this.#again = false;
      try {
        const drainRequested = await this.#drainRequested();
        this.#options.onRead({ drainRequested, tasks: await this.#tasks() });
      } catch (err) {
        this.#options.log.warn({ event: 'coordination.read_failed', err },
          'cannot read the coordination directory');
      }
    } while (this.#again);
  }

  async #drainRequested(): Promise<boolean> {
    const read = await readDrainRequest(this.#options.paths.drainRequest);
    if (read.kind === 'invalid' && !this.#warnedDrainBody) {
      this.#warnedDrainBody = true;
      this.#options.log.warn({ event: 'drain.unreadable', problem: read.problem },
        'drain request is not a drainwatch body; it still counts as a drain request');
    }
    return read.kind !== 'absent';
  }

  async #tasks(): Promise<number> {
    try {
      const names = await readdir(this.#options.paths.tasksDir);
      return names.filter((name) => !isTemporaryName(name)).length;
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return 0;
      throw err;
    }
  }
}

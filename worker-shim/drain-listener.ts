// Lets a worker process learn that a drain has begun, from the same files the shim and the
// sidecar use: the shim's worker.json says "draining", or the sidecar's drain.json exists.

import { existsSync, readFileSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export class DrainListener {
  readonly #stateFile: string;
  readonly #drainFile: string;
  readonly #pollIntervalMs: number;
  #callbacks = new Set<() => void>();
  #draining = false;
  #watcher: FSWatcher | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(stateFile: string, pollIntervalMs: number) {
    this.#stateFile = stateFile;
    this.#drainFile = join(dirname(stateFile), 'drain.json');
    this.#pollIntervalMs = pollIntervalMs;
  }

  isDraining(): boolean {
    if (!this.#draining && (existsSync(this.#drainFile) || this.#stateSaysDraining())) {
      this.#draining = true;
    }
    return this.#draining;
  }

  /** Calls `callback` once when the drain begins (soon, if it has begun already). */
  onDrain(callback: () => void): () => void {
    if (this.isDraining()) {
      queueMicrotask(callback);
      return () => {};
    }
    this.#callbacks.add(callback);
    this.#listen();
    return () => {
      this.#callbacks.delete(callback);
      if (this.#callbacks.size === 0) this.#unlisten();
    };
  }

  #check(): void {
    if (!this.isDraining()) return;
    const callbacks = [...this.#callbacks];
    this.#callbacks.clear();
    this.#unlisten();
    for (const callback of callbacks) callback();
  }

  #listen(): void {
    if (this.#timer !== undefined) return;
    // The timer is a backstop for a watch that cannot start or misses an event; both are
    // unref'd so that listening never keeps a finished worker alive.
    this.#timer = setInterval(() => this.#check(), this.#pollIntervalMs).unref();
    try {
      this.#watcher = watch(dirname(this.#stateFile), (_event, name) => {
        const relevant = name === basename(this.#stateFile) || name === basename(this.#drainFile);
        if (relevant) this.#check();
      });
      this.#watcher.on('error', () => this.#watcher?.close());
      this.#watcher.unref();
    } catch {
      this.#watcher = undefined;
    }
  }

  #unlisten(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#watcher?.close();
    this.#watcher = undefined;
  }

  #stateSaysDraining(): boolean {
    try {
      const body = JSON.parse(readFileSync(this.#stateFile, 'utf8')) as { state?: unknown };
      return body.state === 'draining';
    } catch {
      // Absent, or replaced between open and read: the next check reads it again.
      return false;
    }
  }
}

// drainwatch/worker.json, the shim's side of the protocol: the worker's state and a heartbeat.
// Writes are queued one after another, and each writes the state as it is when its turn comes,
// so a slow heartbeat can never land after, and undo, a newer change of state.

import type { Logger } from '../common/log.js';
import { PROTOCOL_VERSION, writeJsonAtomic } from '../common/protocol.js';
import type { WorkerPhase, WorkerState } from '../common/protocol.js';

export interface StateFileOptions {
  path: string;
  instance: string;
  mode: WorkerState['mode'];
  heartbeatIntervalMs: number;
  log: Logger;
}

export class StateFile {
  readonly #options: StateFileOptions;
  readonly #startedAt = new Date().toISOString();
  #phase: WorkerPhase = 'starting';
  #pid = process.pid;
  #since = this.#startedAt;
  #queue: Promise<void> = Promise.resolve();
  #timer: NodeJS.Timeout | undefined;

  constructor(options: StateFileOptions) {
    this.#options = options;
  }

  get phase(): WorkerPhase {
    return this.#phase;
  }

  /** Records a new state or worker pid; resolves once it is on disk. */
  set(phase: WorkerPhase, pid: number): Promise<void> {
    if (phase === this.#phase && pid === this.#pid) return this.#queue;
    if (phase !== this.#phase) {
      this.#since = new Date().toISOString();
      this.#options.log.debug({ event: 'state.changed', from: this.#phase, to: phase, pid },
        'worker state changed');
    }
    this.#phase = phase;
    this.#pid = pid;
    return this.#write();
  }

  /** Writes the current state now, whether or not it changed. */
  publish(): Promise<void> {
    return this.#write();
  }

  startHeartbeat(): void {
    this.#timer ??= setInterval(() => void this.#write(), this.#options.heartbeatIntervalMs);
  }

  /** Stops the heartbeat and waits for writes in flight. */
  async stopHeartbeat(): Promise<void> {
    clearInterval(this.#timer);
    await this.#queue;
  }

  #write(): Promise<void> {
    this.#queue = this.#queue.then(async () => {
      const now = new Date().toISOString();
      const body: WorkerState = {
        version: PROTOCOL_VERSION,
        instance: this.#options.instance,
        state: this.#phase,
        pid: this.#pid,
        mode: this.#options.mode,
        startedAt: this.#startedAt,
        since: this.#since,
        heartbeatAt: now,
        heartbeatIntervalMs: this.#options.heartbeatIntervalMs,
      };
      try {
        await writeJsonAtomic(this.#options.path, body);
      } catch (err) {
        // A missed heartbeat is reported, not fatal: the worker must keep running.
        this.#options.log.warn({ event: 'state.write_failed', path: this.#options.path, err },
          'cannot write the worker state file');
      }
    });
    return this.#queue;
  }
}

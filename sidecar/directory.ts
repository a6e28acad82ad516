// Reads the coordination directory into a Snapshot for the coordinator. Level-triggered: a
// watch event or a start-up scan only asks for a fresh read of every file, never says what
// changed. Reads are serialised; events that arrive during a read cause exactly one more read
// right after it, so no event is lost and none adds a delay.

import { readdir } from 'node:fs/promises';

import {
  isErrno,
  isTemporaryName,
  readCompletionMarker,
  readDrainRequest,
  readWorkerState,
  type ProtocolPaths,
} from '../common/protocol.js';
import type { Snapshot } from './coordinator.js';

export async function readSnapshot(paths: ProtocolPaths): Promise<Snapshot> {
  const [worker, marker, drain, tasks] = await Promise.all([
    readWorkerState(paths.workerState),
    readCompletionMarker(paths.marker),
    readDrainRequest(paths.drainRequest),
    countTasks(paths.tasksDir),
  ]);
  return { worker, marker, drain, tasks };
}

async function countTasks(tasksDir: string): Promise<number> {
  try {
    const names = await readdir(tasksDir);
    return names.filter((name) => !isTemporaryName(name)).length;
  } catch (err) {
    if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR')) return 0;
    throw err;
  }
}

/** Runs `read` then `apply` on demand, one read at a time, re-reading when asked meanwhile. */
export class SnapshotPump {
  #reading = false;
  #again = false;
  #idle: Promise<void> = Promise.resolve();
  readonly #read: () => Promise<Snapshot>;
  readonly #apply: (snapshot: Snapshot) => void;
  readonly #onError: (err: unknown) => void;

  constructor(
    read: () => Promise<Snapshot>,
    apply: (snapshot: Snapshot) => void,
    onError: (err: unknown) => void,
  ) {
    this.#read = read;
    this.#apply = apply;
    this.#onError = onError;
  }

  trigger(): void {
    if (this.#reading) {
      this.#again = true;
      return;
    }
    this.#reading = true;
    this.#idle = this.#loop();
  }

  /** Resolves when no read is in progress. */
  settled(): Promise<void> {
    return this.#idle;
  }

  async #loop(): Promise<void> {
    do {
      this.#again = false;
      try {
        this.#apply(await this.#read());
      } catch (err) {
        this.#onError(err);
      }
    } while (this.#again);
    this.#reading = false;
  }
}

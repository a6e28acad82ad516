// A message queue made of files, for the demo and the scenario tests: a stand-in for RabbitMQ
// that needs no broker. Each message is a JSON file in DIR/ready. A worker takes one by renaming
// it into DIR/taken (rename is atomic, so two workers never take the same message) and, when the
// task is done, writes a record into DIR/done. The directory lives on the host and every pod of
// the emulator sees it, as every pod of a cluster sees the same broker.

import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Message {
  id: string;
  /** How long the task takes. */
  durationMs?: number;
  /** Scenario tests: the task lasts until this file exists instead. */
  releaseFile?: string;
  /** Scenario tests: the worker crashes (exit 1) in the middle of this task. */
  crash?: boolean;
  /** Scenario tests: the task fails and the worker exits with code 3. */
  fail?: boolean;
}

export interface DoneRecord {
  id: string;
  pod: string;
  startedAt: string;
  endedAt: string;
}

/** Creates the queue's folders; returns `dir`. */
export function createQueue(dir: string): string {
  for (const folder of ['ready', 'taken', 'done']) {
    mkdirSync(join(dir, folder), { recursive: true });
  }
  return dir;
}

export function publish(dir: string, message: Message): void {
  const staging = join(dir, `${message.id}.tmp`);
  writeFileSync(staging, JSON.stringify(message));
  renameSync(staging, join(dir, 'ready', `${message.id}.json`));
}

/** Takes the oldest waiting message, or returns undefined when none is waiting. */
export function tryTake(dir: string, taker: string): Message | undefined {
  for (const name of readdirSync(join(dir, 'ready')).sort()) {
    const taken = join(dir, 'taken', `${name}.${taker}`);
    try {
      renameSync(join(dir, 'ready', name), taken);
    } catch {
      continue; // another worker took it first
    }
    return JSON.parse(readFileSync(taken, 'utf8')) as Message;
  }
  return undefined;
}

export function recordDone(dir: string, record: DoneRecord): void {
  writeFileSync(join(dir, 'done', `${record.id}.json`), JSON.stringify(record));
}

/** The records of every finished task. */
export function readDone(dir: string): DoneRecord[] {
  return readdirSync(join(dir, 'done'))
    .map((name) => JSON.parse(readFileSync(join(dir, 'done', name), 'utf8')) as DoneRecord);
}

// Helpers for tests that run the built programs as real processes. Synchronisation is by
// handshake: a test waits for a log line with a given `event`, never for a fixed sleep.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';

/** Repository root, from dist/test/helpers.js. */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SIDECAR_BIN = join(ROOT, 'dist', 'sidecar', 'main.js');
export const SHIM_BIN = join(ROOT, 'dist', 'worker-shim', 'main.js');
export const FIXTURES = join(ROOT, 'dist', 'test', 'fixtures');

/** Upper bound for any single wait in a test: generous, for a loaded 2-core machine. */
export const WAIT_MS = 20_000;

export async function tempDir(t: TestContext, prefix = 'drainwatch-test-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

export interface LogLine {
  event?: string;
  level?: string;
  msg?: string;
  [key: string]: unknown;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A running program whose stdout is read as JSON log lines (other lines are kept as text). */
export class Running {
  readonly child: ChildProcess;
  readonly lines: LogLine[] = [];
  readonly text: string[] = [];
  readonly exited: Promise<Exit>;
  #waiters: Array<{ match: (l: LogLine) => boolean; resolve: (l: LogLine) => void }> = [];
  #exit: Exit | undefined;

  constructor(child: ChildProcess) {
    this.child = child;
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.#exit = { code, signal };
        resolve(this.#exit);
      });
    });
    let buffered = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      buffered += chunk;
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        this.#take(buffered.slice(0, newline));
        buffered = buffered.slice(newline + 1);
      }
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => this.text.push(chunk));
  }

  #take(raw: string): void {
    this.text.push(raw);
    let line: LogLine;
    try {
      line = JSON.parse(raw) as LogLine;
    } catch {
      return;
    }
    if (typeof line !== 'object' || line === null) return;
    this.lines.push(line);
    this.#waiters = this.#waiters.filter((w) => {
      if (!w.match(line)) return true;
      w.resolve(line);
      return false;
    });
  }

  /** Resolves with the first log line (past or future) whose `event` matches. */
  waitForEvent(event: string, timeoutMs = WAIT_MS): Promise<LogLine> {
    return this.waitFor((l) => l.event === event, `event "${event}"`, timeoutMs);
  }

  waitFor(match: (l: LogLine) => boolean, what: string, timeoutMs = WAIT_MS): Promise<LogLine> {
    const seen = this.lines.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${this.output()}`));
      }, timeoutMs);
      this.#waiters.push({ match, resolve: (l) => { clearTimeout(timer); resolve(l); } });
      void this.exited.then(() => {
        // Let a line that came with the exit be matched first.
        setImmediate(() => {
          clearTimeout(timer);
          reject(new Error(`process exited before ${what}\n${this.output()}`));
        });
      });
    });
  }

  /** Resolves with the exit, or rejects (after killing the process) when it takes too long. */
  async waitForExit(timeoutMs = WAIT_MS): Promise<Exit> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.child.kill('SIGKILL');
        reject(new Error(`process did not exit within ${timeoutMs} ms\n${this.output()}`));
      }, timeoutMs);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  events(): string[] {
    return this.lines.flatMap((l) => (typeof l.event === 'string' ? [l.event] : []));
  }

  /** Everything the program printed, for assertion messages. */
  output(): string {
    return `--- output of pid ${this.child.pid} ---\n${this.text.join('\n')}\n---`;
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    if (this.#exit === undefined) this.child.kill(signal);
  }
}

export interface StartOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
}

/** Starts `node script args...`; registers a SIGKILL cleanup on the test. */
export function startNode(t: TestContext, script: string, args: string[] = [], options: StartOptions = {}) {
  const child = spawn(process.execPath, [script, ...args], {
    env: { ...process.env, ...options.env },
    cwd: options.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const running = new Running(child);
  t.after(() => running.kill('SIGKILL'));
  return running;
}

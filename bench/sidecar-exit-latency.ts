// Benchmark (1): time from touching an empty kill_sidecar, with the drain already started, to
// the sidecar process having exited (as the parent sees it). Prints figures; asserts nothing.

import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

import { Running, SIDECAR_BIN } from '../test/helpers.js';
import { median, printTable, quantile } from './sidecar-support.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 30);
const QUIET_MS = 300;

async function oneRun(poll: boolean): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), 'drainwatch-bench-'));
  try {
    const run = new Running(spawn(process.execPath, [SIDECAR_BIN], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, DRAINWATCH_DIR: dir, DRAINWATCH_PORT: '0',
        DRAINWATCH_HOST: '127.0.0.1', DRAINWATCH_LOG_LEVEL: 'debug',
        DRAINWATCH_WATCH_POLL: String(poll) },
    }));
    await run.waitForEvent('http.listening');
    run.kill('SIGTERM');
    await run.waitForEvent('drain.written');
    // Let the watcher report drain.json first, so the marker is found by its own event (or
    // poll) and not by a re-read that drain.json's event happened to trigger. The random part
    // keeps the touch from falling at the same phase of the polling interval every run.
    await sleep(QUIET_MS + Math.random() * 100);
    const startMs = performance.now();
    await writeFile(join(dir, 'kill_sidecar'), '');
    const exit = await run.waitForExit();
    const elapsedMs = performance.now() - startMs;
    if (exit.code !== 0) throw new Error(`sidecar exited with ${exit.code}\n${run.output()}`);
    return elapsedMs;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export async function measureExitLatency() {
  const rows: string[][] = [];
  for (const poll of [false, true]) {
    const samples: number[] = [];
    const runs = poll ? Math.min(RUNS, 10) : RUNS;
    for (let i = 0; i < runs; i += 1) samples.push(await oneRun(poll));
    const fmt = (ms: number) => ms.toFixed(1);
    rows.push([poll ? 'polling 100ms' : 'inotify', String(runs), fmt(median(samples)),
      fmt(quantile(samples, 0.95)), fmt(Math.max(...samples)), poll ? 'n/a' : '< 50']);
  }
  console.log('\ntouch kill_sidecar (drain started) -> process exit, ms');
  printTable(['watch', 'runs', 'median', 'p95', 'max', 'target median'], rows);
}

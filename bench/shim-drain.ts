// npm run bench:shim: how long drainwatch-shim takes from SIGTERM to its own exit when the
// worker has nothing to finish. Each scenario starts the built shim with a fixture worker,
// waits for the shim to log that the worker is idle (or running), sends SIGTERM and times the
// exit. Scenarios are interleaved so that machine noise falls on all of them alike. Figures
// only: nothing here asserts a bound.

import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { FIXTURES, SHIM_BIN } from '../test/helpers.js';

interface Scenario {
  name: string;
  shimArgs: string[];
  env: Record<string, string>;
  /** The shim's log event after which the worker counts as settled. */
  readyEvent: string;
}

const SCENARIOS: Scenario[] = [
  {
    name: 'loop, idle reporting worker (stopped by the shim)',
    shimArgs: ['--loop'],
    env: { DRAINWATCH_REPORTS_TASKS: 'true' },
    readyEvent: 'worker.idle',
  },
  {
    name: 'supervise, worker exits on SIGTERM (drain passed on)',
    shimArgs: [],
    env: {},
    readyEvent: 'worker.busy',
  },
  {
    name: 'supervise, idle reporting worker (stopped by the shim)',
    shimArgs: [],
    env: { DRAINWATCH_REPORTS_TASKS: 'true' },
    readyEvent: 'worker.idle',
  },
];

const RUNS = Number(process.env.BENCH_RUNS ?? 30);
/** Bound on one run, so a broken shim cannot hang the benchmark. */
const RUN_TIMEOUT_MS = 20_000;

async function measureOnce(scenario: Scenario): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), 'drainwatch-bench-'));
  const worker = [process.execPath, join(FIXTURES, 'shim-waits.js')];
  const child = spawn(process.execPath, [SHIM_BIN, ...scenario.shimArgs, '--', ...worker], {
    env: { ...process.env, DRAINWATCH_DIR: dir, DRAINWATCH_STOP_TIMEOUT: '10s', ...scenario.env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    return await new Promise<number>((resolve, reject) => {
      let sentAt = 0;
      let buffered = '';
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`${scenario.name}: no exit within ${RUN_TIMEOUT_MS} ms`));
      }, RUN_TIMEOUT_MS);
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        buffered += chunk;
        if (sentAt === 0 && buffered.includes(`"event":"${scenario.readyEvent}"`)) {
          sentAt = performance.now();
          child.kill('SIGTERM');
        }
      });
      child.once('exit', () => {
        clearTimeout(timer);
        if (sentAt === 0) {
          reject(new Error(`${scenario.name}: exited before ${scenario.readyEvent}`));
        }
        else resolve(performance.now() - sentAt);
      });
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function main(): Promise<void> {
  const samples = new Map<string, number[]>(SCENARIOS.map((s) => [s.name, []]));
  for (let run = 0; run < RUNS; run++) {
    for (const scenario of SCENARIOS) {
      samples.get(scenario.name)!.push(await measureOnce(scenario));
    }
  }

  const rows = SCENARIOS.map((scenario) => {
    const sorted = [...samples.get(scenario.name)!].sort((a, b) => a - b);
    const cells = [50, 95, 100].map((p) => percentile(sorted, p).toFixed(1).padStart(8));
    return `| ${scenario.name.padEnd(56)} | ${sorted.length} | ${cells.join(' | ')} |`;
  });
  console.log(`SIGTERM to shim exit, ${RUNS} runs per scenario (ms; target for loop idle: < 200)`);
  console.log(`| ${'scenario'.padEnd(56)} | n  |   median |      p95 |      max |`);
  console.log(`|${'-'.repeat(58)}|----|----------|----------|----------|`);
  for (const row of rows) console.log(row);
}

await main();

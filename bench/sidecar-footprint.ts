// Benchmark (2): start-up time to the first 200 from /healthz and resident memory at rest,
// for the sidecar and for a bare node:http server side by side. Prints figures only.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';

import { ROOT, SIDECAR_BIN } from '../test/helpers.js';
import { freePort, median, printTable } from './sidecar-support.js';

const RUNS = Number(process.env.BENCH_FOOTPRINT_RUNS ?? 10);
const BARE_BIN = join(ROOT, 'dist', 'bench', 'sidecar-bare-server.js');
/** How long a process sits idle after its first 200 before its memory is read. */
const REST_MS = 1000;
const STARTUP_BOUND_MS = 10_000;

function healthz(port: number): Promise<number> {
  return new Promise((resolve) => {
    const request = get({ host: '127.0.0.1', port, path: '/healthz' }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.once('error', () => resolve(0));
  });
}

async function rssKiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]);
}

interface Sample {
  startupMs: number;
  rssKiB: number;
}

async function measure(start: (port: number) => ChildProcess): Promise<Sample> {
  const port = await freePort();
  const startMs = performance.now();
  const child = start(port);
  try {
    while ((await healthz(port)) !== 200) {
      if (performance.now() - startMs > STARTUP_BOUND_MS) throw new Error('no 200 from /healthz');
      await sleep(2);
    }
    const startupMs = performance.now() - startMs;
    await sleep(REST_MS);
    return { startupMs, rssKiB: await rssKiB(child.pid!) };
  } finally {
    child.kill('SIGKILL');
  }
}

function sidecar(dir: string, script: string) {
  return measure((port) => spawn(process.execPath, [script], { stdio: 'ignore',
    env: { ...process.env, DRAINWATCH_DIR: dir, DRAINWATCH_PORT: String(port),
      DRAINWATCH_HOST: '127.0.0.1' } }));
}

type Bundler = typeof import('../scripts/bundle.mjs');

/**
 * The sidecar as the image runs it: one file from scripts/bundle.mjs (the shared bundler,
 * built into the temp dir so that it matches the dist/ just compiled).
 */
async function bundle(dir: string): Promise<string> {
  const url = pathToFileURL(join(ROOT, 'scripts', 'bundle.mjs')).href;
  const bundler = await import(url) as Bundler;
  const sidecar = bundler.PROGRAMS.find((p) => p.name === 'drainwatch-sidecar')!;
  return (await bundler.bundleProgram(sidecar.entry, join(dir, 'drainwatch-sidecar.cjs'))).outfile;
}

export async function measureFootprint() {
  const dir = await mkdtemp(join(tmpdir(), 'drainwatch-bench-'));
  const bare: Sample[] = [];
  const ours: Sample[] = [];
  const bundled: Sample[] = [];
  try {
    const bundleFile = await bundle(dir);
    for (let i = 0; i < RUNS; i += 1) {
      bare.push(await measure((port) => spawn(process.execPath, [BARE_BIN],
        { stdio: 'ignore', env: { ...process.env, PORT: String(port) } })));
      ours.push(await sidecar(dir, SIDECAR_BIN));
      bundled.push(await sidecar(dir, bundleFile));
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const row = (name: string, pick: (s: Sample) => number, fmt: (v: number) => string,
    target: string) => {
    const base = median(bare.map(pick));
    const cells = [ours, bundled].map((samples) => median(samples.map(pick)));
    return [name, fmt(base), ...cells.flatMap((v) => [fmt(v), `${(v / base).toFixed(2)}x`]),
      target];
  };
  console.log(`\nstart-up to first 200 from /healthz, and RSS after ${REST_MS} ms at rest ` +
    `(median of ${RUNS} runs each)`);
  printTable(['measure', 'bare node:http', 'sidecar (dist)', 'ratio', 'sidecar (bundle)', 'ratio',
    'target'], [
    row('start-up, ms', (s) => s.startupMs, (v) => v.toFixed(0), '<= 2x'),
    row('RSS at rest, MiB', (s) => s.rssKiB / 1024, (v) => v.toFixed(1), '<= 1.3x'),
  ]);
}

#!/usr/bin/env node
// Builds dist/sea/drainwatch-shim: the worker shim as one self-contained executable (a Node
// single executable application), for worker images that have no Node. Steps: bundle
// worker-shim/main.ts and its dependencies into one CommonJS file (scripts/bundle.mjs, the same
// bundler as dist/bundle/; Node 20 runs only CommonJS as a SEA main), make the SEA blob, copy
// this node binary, strip it, inject the blob.
// Also puts drainwatch-install-shim beside it (the init container's copy command).
// Usage: npm run build:sea [-- --out DIR]   (default DIR: dist/sea; exits non-zero on the first
// failed step)

import { spawnSync } from 'node:child_process';
import { chmod, copyFile, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join, relative, resolve } from 'node:path';

import { bundleProgram, ROOT } from './bundle.mjs';

const require = createRequire(import.meta.url);
const { inject } = require('postject');

function outDir(argv) {
  if (argv.length === 0) return join(ROOT, 'dist', 'sea');
  if (argv.length === 2 && argv[0] === '--out' && argv[1] !== '') return resolve(argv[1]);
  console.error('usage: node scripts/sea-build.mjs [--out DIR]');
  process.exit(2);
}

const ENTRY = join(ROOT, 'worker-shim', 'main.ts');
const OUT_DIR = outDir(process.argv.slice(2));
const BUNDLE = join(OUT_DIR, 'drainwatch-shim.cjs');
const BLOB = join(OUT_DIR, 'sea-prep.blob');
const CONFIG = join(OUT_DIR, 'sea-config.json');
const BINARY = join(OUT_DIR, 'drainwatch-shim');
const INSTALLER_SOURCE = join(ROOT, 'scripts', 'sea-install-shim.sh');
const INSTALLER = join(OUT_DIR, 'drainwatch-install-shim');
// The fuse Node 20 looks for to know that a blob was injected (documented in Node's SEA docs).
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

function step(name, started) {
  console.log(`${name.padEnd(34)} ${String(Date.now() - started).padStart(6)} ms`);
}

function run(command, args) {
  const result = spawnSync(command, args, { stdio: ['ignore', 'inherit', 'inherit'] });
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited ${result.status}`);
}

async function main() {
  await mkdir(OUT_DIR, { recursive: true });
  for (const file of [BUNDLE, BLOB, CONFIG, BINARY, INSTALLER]) await rm(file, { force: true });

  let started = Date.now();
  await bundleProgram(ENTRY, BUNDLE);
  step(`bundle ${relative(ROOT, BUNDLE)}`, started);

  started = Date.now();
  const seaConfig = { main: BUNDLE, output: BLOB, disableExperimentalSEAWarning: true };
  await writeFile(CONFIG, `${JSON.stringify(seaConfig, null, 2)}\n`);
  run(process.execPath, ['--experimental-sea-config', CONFIG]);
  step('sea blob', started);

  started = Date.now();
  await copyFile(process.execPath, BINARY);
  await chmod(BINARY, 0o755);
  // Stripping the copy before injection saves about 12 MB; the injected blob is not affected.
  const strip = spawnSync('strip', [BINARY], { stdio: 'inherit' });
  if (strip.error) {
    console.warn(`strip not available (${strip.error.message}); the binary stays unstripped`);
  } else if (strip.status !== 0) {
    throw new Error(`strip ${BINARY} exited ${strip.status}`);
  }
  step('copy and strip node', started);

  started = Date.now();
  await inject(BINARY, 'NODE_SEA_BLOB', await readFile(BLOB), { sentinelFuse: SEA_FUSE });
  step('inject blob (postject)', started);

  await copyFile(INSTALLER_SOURCE, INSTALLER);
  await chmod(INSTALLER, 0o755);

  started = Date.now();
  run(BINARY, ['--help']);
  step('run drainwatch-shim --help', started);
  const { size } = await stat(BINARY);
  console.log(`${relative(ROOT, BINARY)}: ${size} bytes (${(size / 1048576).toFixed(1)} MiB)`);
}

main().catch((err) => {
  console.error(`sea-build: ${err.message}`);
  process.exit(1);
});

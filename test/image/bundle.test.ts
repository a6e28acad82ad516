// The bundled programs (scripts/bundle.mjs, what the image runs) end to end: built from the
// dist/ this suite was compiled into, into a temp dir with no node_modules in it or any parent,
// then run as real processes: HTTP, signals, the coordination files, exit codes.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { access, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

import { ROOT, startNode, tempDir, WAIT_MS } from '../helpers.js';

type Bundler = typeof import('../../scripts/bundle.mjs');

const run = promisify(execFile);
const bundler = await import(pathToFileURL(join(ROOT, 'scripts', 'bundle.mjs')).href) as Bundler;
const outDir = await mkdtemp(join(tmpdir(), 'drainwatch-bundle-test-'));
after(() => rm(outDir, { recursive: true, force: true }));
const built = await bundler.bundlePrograms(outDir);
const SIDECAR = built.find((b) => b.name === 'drainwatch-sidecar')!.outfile;
const SHIM = built.find((b) => b.name === 'drainwatch-shim')!.outfile;

/** Directories from `dir` up to / that hold a node_modules, where Node would look. */
async function nodeModulesAbove(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (let d = dir; ; d = dirname(d)) {
    if (await access(join(d, 'node_modules')).then(() => true, () => false)) found.push(d);
    if (dirname(d) === d) return found;
  }
}

function sidecarEnv(dir: string, extra: Record<string, string> = {}) {
  return { DRAINWATCH_DIR: dir, DRAINWATCH_PORT: '0', DRAINWATCH_HOST: '127.0.0.1', ...extra };
}

test('each bundle keeps the node shebang, is executable and has no node_modules to lean on',
  async () => {
    assert.deepEqual(await nodeModulesAbove(outDir), [],
      'a node_modules above the temp dir would hide a dependency the bundle does not inline');
    for (const file of [SIDECAR, SHIM]) {
      const firstLine = (await readFile(file, 'utf8')).split('\n', 1)[0];
      assert.equal(firstLine, '#!/usr/bin/env node', file);
      assert.equal((await stat(file)).mode & 0o111, 0o111, `${file} is not executable`);
      const { stdout } = await run(file, ['--help'], { cwd: '/', timeout: WAIT_MS });
      assert.match(stdout, /^usage: drainwatch-/, file);
    }
    const notices = await readFile(join(outDir, 'THIRD-PARTY-NOTICES.txt'), 'utf8');
    for (const pkg of ['fastify', 'pino', 'chokidar', 'prom-client']) {
      assert.match(notices, new RegExp(`^${pkg}@\\S+ \\(`, 'm'), `no notice for ${pkg}`);
    }
  });

test('the bundled sidecar answers /healthz and /metrics, drains on SIGTERM and exits 0 ' +
  'when an empty kill_sidecar is touched', async (t) => {
  const dir = await tempDir(t, 'drainwatch-bundle-sidecar-');
  const sidecar = startNode(t, SIDECAR, [], { env: sidecarEnv(dir), cwd: '/' });
  const port = (await sidecar.waitForEvent('http.listening')).port as number;
  for (const path of ['/healthz', '/metrics']) {
    const response = await fetch(`http://127.0.0.1:${port}${path}`,
      { signal: AbortSignal.timeout(WAIT_MS) });
    await response.text();
    assert.equal(response.status, 200, `GET ${path}\n${sidecar.output()}`);
  }
  sidecar.kill('SIGTERM');
  await sidecar.waitForEvent('drain.started');
  await writeFile(join(dir, 'kill_sidecar'), '');
  const exit = await sidecar.waitForExit();
  assert.deepEqual(exit, { code: 0, signal: null }, sidecar.output());
});

test('the bundled shim passes the exit code 7 through and writes the completion marker',
  async (t) => {
    const dir = await tempDir(t, 'drainwatch-bundle-shim-');
    const shim = startNode(t, SHIM, ['--', 'sh', '-c', 'exit 7'],
      { env: { DRAINWATCH_DIR: dir }, cwd: '/' });
    const exit = await shim.waitForExit();
    assert.deepEqual(exit, { code: 7, signal: null }, shim.output());
    const marker = JSON.parse(await readFile(join(dir, 'kill_sidecar'), 'utf8')) as
      Record<string, unknown>;
    assert.equal(marker.exitCode, 7);
    assert.equal(marker.reason, 'exited');
  });

test('the bundled programs exit 2 on bad configuration and name the variable', async (t) => {
  const dir = await tempDir(t, 'drainwatch-bundle-config-');
  const runs = [
    { variable: 'DRAINWATCH_PORT', program: startNode(t, SIDECAR, [],
      { env: sidecarEnv(dir, { DRAINWATCH_PORT: 'eighty' }), cwd: '/' }) },
    { variable: 'DRAINWATCH_STOP_TIMEOUT', program: startNode(t, SHIM, ['--', 'true'],
      { env: { DRAINWATCH_DIR: dir, DRAINWATCH_STOP_TIMEOUT: 'soon' }, cwd: '/' }) },
  ].map((r) => ({ ...r,
    // 'close' comes after the last output is read; 'exit' may come before it.
    closed: once(r.program.child, 'close', { signal: AbortSignal.timeout(WAIT_MS) }) }));
  for (const { variable, program, closed } of runs) {
    const exit = await program.waitForExit();
    assert.deepEqual(exit, { code: 2, signal: null }, program.output());
    await closed;
    const invalid = program.lines.find((l) => l.event === 'config.invalid');
    assert.ok(invalid, `no config.invalid line\n${program.output()}`);
    assert.match(JSON.stringify(invalid.problems), new RegExp(variable), program.output());
  }
});

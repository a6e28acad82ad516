// Builds the self-contained shim (npm run build:sea) into a temp dir and runs it. Slow (about
// 5-10 s, 85 MB written), so it runs only with DRAINWATCH_TEST_SEA=1:
//   npx tsc -p . && DRAINWATCH_TEST_SEA=1 node --test dist/test/image/sea.test.js

import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { promisify } from 'node:util';

import { ROOT, tempDir } from '../helpers.js';

const run = promisify(execFile);
const skip = process.env.DRAINWATCH_TEST_SEA === '1' ? false : 'set DRAINWATCH_TEST_SEA=1 to run';
const BUILD_TIMEOUT_MS = 300_000;
const RUN_TIMEOUT_MS = 60_000;

interface Result {
  code: number | null;
  output: string;
}

/** Runs a program to its end (bounded); a non-zero exit is a result, not an error. */
async function runToEnd(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<Result> {
  try {
    const { stdout, stderr } = await run(file, args, { env, timeout: RUN_TIMEOUT_MS });
    return { code: 0, output: stdout + stderr };
  } catch (err) {
    const e = err as { code?: unknown; stdout?: string; stderr?: string; killed?: boolean };
    if (e.killed || typeof e.code !== 'number') throw err;
    return { code: e.code, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

let built: Promise<string> | undefined;
let buildDir: string | undefined;
after(() => (buildDir ? rm(buildDir, { recursive: true, force: true }) : undefined));

/** Builds once per file, into a directory removed when the file's tests are done. */
function buildSea(): Promise<string> {
  built ??= (async () => {
    const out = await mkdtemp(join(tmpdir(), 'drainwatch-sea-'));
    buildDir = out;
    await run(process.execPath, [join(ROOT, 'scripts', 'sea-build.mjs'), '--out', out], {
      timeout: BUILD_TIMEOUT_MS,
    });
    return out;
  })();
  return built;
}

test('the self-contained shim passes the worker exit code 7 through', { skip }, async (t) => {
  const out = await tempDir(t, 'drainwatch-sea-run-');
  const binary = join(await buildSea(), 'drainwatch-shim');
  const share = join(out, 'share');
  const result = await runToEnd(binary, ['--', 'sh', '-c', 'exit 7'], {
    ...process.env,
    DRAINWATCH_DIR: share,
  });
  assert.equal(result.code, 7, result.output);
  const marker = JSON.parse(await readFile(join(share, 'kill_sidecar'), 'utf8'));
  assert.equal(marker.exitCode, 7);
});

test('drainwatch-install-shim copies a shim that runs from its target', { skip }, async (t) => {
  const target = await tempDir(t, 'drainwatch-sea-bin-');
  const seaDir = await buildSea();
  await run(join(seaDir, 'drainwatch-install-shim'), [target], { timeout: RUN_TIMEOUT_MS });
  const result = await runToEnd(join(target, 'drainwatch-shim'), ['--', 'sh', '-c', 'exit 7'], {
    ...process.env,
    DRAINWATCH_DIR: join(target, 'share'),
  });
  assert.equal(result.code, 7, result.output);
});

const canHideNode =
  process.getuid?.() === 0 && spawnSync('unshare', ['--mount', 'true']).status === 0;

test('the self-contained shim runs where the node binary is unusable', {
  skip: skip || (canHideNode ? false : 'needs root and unshare to hide the node binary'),
}, async (t) => {
  const out = await tempDir(t, 'drainwatch-sea-nonode-');
  await mkdir(join(out, 'share'));
  const binary = join(await buildSea(), 'drainwatch-shim');
  // In a private mount namespace /dev/null covers the node binary; the worker proves that node
  // cannot run (exit 99 if it can), then exits 7 through the shim.
  const script =
    `mount --bind /dev/null ${process.execPath} && ` +
    `exec ${binary} -- sh -c 'if node -e 0 2>/dev/null; then exit 99; fi; exit 7'`;
  const unshare = ['--mount', '--propagation', 'private', 'sh', '-c', script];
  const result = await runToEnd('unshare', unshare, {
    ...process.env,
    DRAINWATCH_DIR: join(out, 'share'),
  });
  assert.equal(result.code, 7, result.output);
});

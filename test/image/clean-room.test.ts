// Runs scripts/image-clean-room.sh: the Dockerfile's runtime stage reproduced in a temp dir
// (the bundles, no node_modules in the dir or any parent, the bin symlinks), then both programs
// run through the symlinks. It bundles the dist/ this suite was built with.

import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';

import { ROOT } from '../helpers.js';

const run = promisify(execFile);
const SCRIPT_TIMEOUT_MS = 180_000;
const skip = spawnSync('curl', ['--version']).status === 0 ? false : 'curl is not installed';

test('the runtime layout runs both bundled programs without any node_modules', { skip }, async () => {
  let output: string;
  try {
    const { stdout, stderr } = await run('bash', [join(ROOT, 'scripts', 'image-clean-room.sh')], {
      env: { ...process.env, SKIP_BUILD: '1' },
      timeout: SCRIPT_TIMEOUT_MS,
    });
    output = stdout + stderr;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    assert.fail(`${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
  assert.match(output, /no node_modules in \S+ or any parent/);
  assert.match(output, /drainwatch-shim -- true: exit 0/);
  assert.match(output, /GET \/healthz 200/);
  assert.match(output, /released by SIGTERM \+ kill_sidecar, exit 0/);
  assert.match(output, /clean room: OK/);
});

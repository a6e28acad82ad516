import assert from 'node:assert/strict';
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';

import { tempDir } from '../helpers.js';
import { count, readMarker, startShim } from './shim-harness.js';

test('exits with the worker exit code and writes a marker that is not final under Always', async (t) => {
  const { shim, paths } = await startShim(t, { worker: 'shim-exits-with', workerArgs: ['7'] });

  const exit = await shim.waitForExit();

  assert.equal(exit.code, 7, shim.output());
  const marker = await readMarker(paths);
  assert.deepEqual(
    [marker.exitCode, marker.signal, marker.reason, marker.final], [7, null, 'exited', false]);
});

test('marks an exit final when the restart policy is Never', async (t) => {
  const { shim, paths } = await startShim(t, {
    worker: 'shim-exits-with', workerArgs: ['0'], env: { DRAINWATCH_RESTART_POLICY: 'Never' },
  });

  const exit = await shim.waitForExit();

  assert.equal(exit.code, 0, shim.output());
  assert.equal((await readMarker(paths)).final, true);
});

test('marks only a successful exit final when the restart policy is OnFailure', async (t) => {
  const { shim, paths } = await startShim(t, {
    worker: 'shim-exits-with', workerArgs: ['1'], env: { DRAINWATCH_RESTART_POLICY: 'OnFailure' },
  });

  const exit = await shim.waitForExit();

  assert.equal(exit.code, 1, shim.output());
  assert.equal((await readMarker(paths)).final, false);
});

test('exits 137 when the worker is killed by SIGKILL and names the signal in the marker', async (t) => {
  const { shim, paths } = await startShim(t, {
    worker: 'shim-exits-with', workerArgs: ['kill', 'SIGKILL'],
  });

  const exit = await shim.waitForExit();

  assert.equal(exit.code, 137, shim.output());
  const marker = await readMarker(paths);
  assert.deepEqual([marker.exitCode, marker.signal], [137, 'SIGKILL']);
});

test('exits 127 and writes a final spawn-failed marker when the command does not exist', async (t) => {
  const dir = await tempDir(t, 'drainwatch-shim-');
  const { shim, paths } = await startShim(t, { dir, worker: join(dir, 'no-such-worker') });

  const exit = await shim.waitForExit();

  assert.equal(exit.code, 127, shim.output());
  assert.equal(count(shim, 'worker.spawn_failed'), 1, shim.output());
  const marker = await readMarker(paths);
  assert.deepEqual([marker.reason, marker.final, marker.exitCode], ['spawn-failed', true, 127]);
  assert.match(marker.error ?? '', /ENOENT/);
});

test('exits 126 and writes a final spawn-failed marker when the command is not executable', async (t) => {
  const dir = await tempDir(t, 'drainwatch-shim-');
  const script = join(dir, 'not-executable.sh');
  await writeFile(script, '#!/bin/sh\nexit 0\n');
  await chmod(script, 0o644);
  const { shim, paths } = await startShim(t, { dir, worker: script });

  const exit = await shim.waitForExit();

  assert.equal(exit.code, 126, shim.output());
  const marker = await readMarker(paths);
  assert.deepEqual([marker.reason, marker.final, marker.exitCode], ['spawn-failed', true, 126]);
  assert.match(marker.error ?? '', /EACCES/);
});

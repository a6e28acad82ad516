import assert from 'node:assert/strict';
import { readdir, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';

import {
  ensureLayout, isFinalExit, protocolPaths, readCompletionMarker, readDrainRequest,
  readWorkerState, writeJsonAtomic, MAX_PROTOCOL_FILE_BYTES, type CompletionMarker,
} from '../../common/protocol.js';
import { tempDir } from '../helpers.js';

const marker: CompletionMarker = {
  version: 1, instance: 'a', exitCode: 0, signal: null, final: true, reason: 'drained',
  time: new Date().toISOString(),
};

test('isFinalExit follows the restart policy and is always final after a drain', () => {
  assert.equal(isFinalExit('Always', 0, false), false);
  assert.equal(isFinalExit('Always', 1, false), false);
  assert.equal(isFinalExit('OnFailure', 0, false), true);
  assert.equal(isFinalExit('OnFailure', 3, false), false);
  assert.equal(isFinalExit('Never', 3, false), true);
  for (const policy of ['Always', 'OnFailure', 'Never'] as const) {
    assert.equal(isFinalExit(policy, 1, true), true);
  }
});

test('writeJsonAtomic leaves only the target behind and the reader returns its body', async (t) => {
  const dir = await tempDir(t);
  const paths = protocolPaths(dir);
  await ensureLayout(paths);
  await writeJsonAtomic(paths.marker, marker);
  assert.deepEqual(await readdir(dir), ['drainwatch', 'kill_sidecar']);
  assert.deepEqual(await readCompletionMarker(paths.marker), { kind: 'valid', body: marker });
});

test('readers tell absent, empty, valid and invalid files apart without throwing', async (t) => {
  const dir = await tempDir(t);
  const paths = protocolPaths(dir, 'done');
  await ensureLayout(paths);
  assert.deepEqual(await readCompletionMarker(paths.marker), { kind: 'absent' });
  await writeFile(paths.marker, '');
  assert.deepEqual(await readCompletionMarker(paths.marker), { kind: 'empty' });
  await writeFile(paths.marker, '{"version":1,"instance":');
  assert.deepEqual(await readCompletionMarker(paths.marker), { kind: 'invalid', problem: 'body is not JSON' });
  await writeFile(paths.marker, '[1,2]');
  assert.equal((await readCompletionMarker(paths.marker)).kind, 'invalid');
  await writeFile(paths.marker, JSON.stringify({ ...marker, version: 2 }));
  const wrongVersion = await readCompletionMarker(paths.marker);
  assert.equal(wrongVersion.kind, 'invalid');
  await writeFile(paths.marker, JSON.stringify({ ...marker, final: 'yes' }));
  assert.deepEqual(await readCompletionMarker(paths.marker), {
    kind: 'invalid', problem: 'field "final" is string, expected boolean',
  });
  await writeFile(paths.marker, 'x'.repeat(MAX_PROTOCOL_FILE_BYTES + 1));
  assert.equal((await readCompletionMarker(paths.marker)).kind, 'invalid');
});

test('worker state with an unknown state or a bad heartbeat time is invalid', async (t) => {
  const dir = await tempDir(t);
  const paths = protocolPaths(dir);
  await ensureLayout(paths);
  const now = new Date().toISOString();
  const state = {
    version: 1, instance: 'i', state: 'idle', pid: 1, mode: 'loop', startedAt: now, since: now,
    heartbeatAt: now, heartbeatIntervalMs: 2000,
  };
  await writeJsonAtomic(paths.workerState, state);
  assert.equal((await readWorkerState(paths.workerState)).kind, 'valid');
  await writeJsonAtomic(paths.workerState, { ...state, state: 'sleeping' });
  assert.deepEqual(await readWorkerState(paths.workerState), {
    kind: 'invalid', problem: 'unknown state "sleeping"',
  });
  await writeJsonAtomic(paths.workerState, { ...state, heartbeatAt: 'yesterday' });
  assert.equal((await readWorkerState(paths.workerState)).kind, 'invalid');
});

test('a directory where a protocol file should be is reported as invalid', async (t) => {
  const dir = await tempDir(t);
  const paths = protocolPaths(dir);
  await mkdir(paths.drainRequest, { recursive: true });
  assert.deepEqual(await readDrainRequest(paths.drainRequest), {
    kind: 'invalid', problem: 'path is a directory',
  });
  assert.equal(join(dir, 'drainwatch', 'drain.json'), paths.drainRequest);
});

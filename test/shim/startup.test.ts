import assert from 'node:assert/strict';
import { access, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';

import { protocolPaths, writeJsonAtomic } from '../../common/protocol.js';
import { SHIM_BIN, startNode, tempDir } from '../helpers.js';
import { readMarker, startShim } from './shim-harness.js';

test('removes the marker, state and task entries of an earlier instance before the worker starts', async (t) => {
  const dir = await tempDir(t, 'drainwatch-shim-');
  const paths = protocolPaths(dir);
  await mkdir(paths.tasksDir, { recursive: true });
  await writeFile(paths.marker, '');
  await writeJsonAtomic(paths.workerState, { version: 1, instance: 'earlier', state: 'busy' });
  await writeFile(join(paths.tasksDir, 'left-over-task'), '');

  const { shim } = await startShim(t, {
    dir, worker: 'shim-reports-leftovers', workerArgs: [paths.marker],
  });
  const saw = await shim.waitForEvent('fixture.saw');
  const exit = await shim.waitForExit();

  assert.equal(exit.code, 0, shim.output());
  assert.equal(saw.marker, false);
  assert.deepEqual(saw.tasks, []);
  assert.equal(saw.stateInstance, saw.shimInstance);
  assert.notEqual(saw.stateInstance, 'earlier');
  const cleared = await shim.waitForEvent('state.cleared');
  assert.deepEqual([cleared.marker, cleared.workerState, cleared.tasks], [true, true, 1]);
  assert.equal((await readMarker(paths)).instance, saw.shimInstance);
});

test('exits 2 naming every bad variable and runs nothing', async (t) => {
  const dir = await tempDir(t, 'drainwatch-shim-');
  const ran = join(dir, 'worker-ran');
  const shim = startNode(t, SHIM_BIN, ['--drain-signal', 'SIGNOPE', '--', 'touch', ran], {
    env: {
      DRAINWATCH_DIR: dir,
      DRAINWATCH_STOP_TIMEOUT: '10',
      DRAINWATCH_MODE: 'sometimes',
      DRAINWATCH_RESTART_POLICY: 'Rarely',
      DRAINWATCH_LOOP_MAX_FAILURES: '-1',
      DRAINWATCH_REPORTS_TASKS: 'maybe',
    },
  });

  const exit = await shim.waitForExit();

  assert.equal(exit.code, 2, shim.output());
  const names = ['--drain-signal', 'DRAINWATCH_STOP_TIMEOUT', 'DRAINWATCH_MODE',
    'DRAINWATCH_RESTART_POLICY', 'DRAINWATCH_LOOP_MAX_FAILURES', 'DRAINWATCH_REPORTS_TASKS'];
  const invalid = await shim.waitForEvent('config.invalid');
  const sources = (invalid.problems as { source: string }[]).map((p) => p.source);
  assert.deepEqual(sources.sort(), [...names].sort());
  for (const name of names) assert.match(shim.output(), new RegExp(`${name} is "`));
  await assert.rejects(access(ran), 'the worker must not run');
});

test('exits 2 with a one-line usage when the command is missing', async (t) => {
  const shim = startNode(t, SHIM_BIN, ['--loop']);

  const exit = await shim.waitForExit();

  assert.equal(exit.code, 2, shim.output());
  assert.match(shim.output(), /usage: drainwatch-shim \[--loop\]/);
});

test('gives the worker the tasks directory, the state file and the instance', async (t) => {
  const dir = await tempDir(t, 'drainwatch-shim-');
  const paths = protocolPaths(dir);
  const { shim } = await startShim(t, {
    dir, worker: '/bin/sh',
    workerArgs: ['-c', 'printf \'{"event":"fixture.env","tasks":"%s","state":"%s","instance":"%s"}\\n\' ' +
      '"$DRAINWATCH_TASKS_DIR" "$DRAINWATCH_STATE_FILE" "$DRAINWATCH_INSTANCE"'],
  });

  const seen = await shim.waitForEvent('fixture.env');
  await shim.waitForExit();

  assert.equal(seen.tasks, paths.tasksDir);
  assert.equal(seen.state, paths.workerState);
  assert.equal(seen.instance, (await shim.waitForEvent('shim.started')).instance);
});

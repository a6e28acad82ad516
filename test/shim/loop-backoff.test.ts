import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';

import { tempDir } from '../helpers.js';

import { backoffDelay } from '../../worker-shim/loop-mode.js';
import { readMarker, startShim } from './shim-harness.js';

test('backs off with doubling delays and gives up with the last exit code', async (t) => {
  const { shim, paths } = await startShim(t, {
    worker: 'shim-exits-with', workerArgs: ['3'], shimArgs: ['--loop'],
    env: {
      DRAINWATCH_LOOP_BACKOFF: '10ms',
      DRAINWATCH_LOOP_BACKOFF_MAX: '25ms',
      DRAINWATCH_LOOP_MAX_FAILURES: '4',
    },
  });

  const exit = await shim.waitForExit();

  assert.equal(exit.code, 3, shim.output());
  const delays = shim.lines.filter((l) => l.event === 'run.backoff').map((l) => l.delayMs);
  assert.deepEqual(delays, [10, 20, 25]);
  assert.equal(shim.lines.filter((l) => l.event === 'run.failed').length, 4);
  await shim.waitForEvent('loop.gave_up');
  const marker = await readMarker(paths);
  assert.deepEqual([marker.reason, marker.exitCode, marker.final], ['crash-loop', 3, false]);
});

test('computes the back-off as the first delay doubled per failure, capped at the maximum', () => {
  const config = { loopBackoffMs: 1000, loopBackoffMaxMs: 30_000 };
  const cases: [number, number][] =
    [[1, 1000], [2, 2000], [3, 4000], [5, 16_000], [6, 30_000], [500, 30_000]];
  for (const [failures, expected] of cases) {
    assert.equal(backoffDelay(config, failures), expected, `after ${failures} failures`);
  }
  assert.equal(backoffDelay({ loopBackoffMs: 0, loopBackoffMaxMs: 0 }, 3), 0);
});

test('removes task entries a finished run left behind, so the next run is not seen busy', async (t) => {
  const dir = await tempDir(t, 'drainwatch-shim-');
  const firstRan = join(dir, 'first-run-done');
  const script = `if [ -e "${firstRan}" ]; then exec sleep 30; fi; ` +
    `touch "${firstRan}" "$DRAINWATCH_TASKS_DIR/abandoned"`;
  const { shim } = await startShim(t, {
    dir, worker: '/bin/sh', workerArgs: ['-c', script], shimArgs: ['--loop'],
    env: { DRAINWATCH_STOP_TIMEOUT: '60s' },
  });
  const cleared = await shim.waitForEvent('tasks.cleared');
  await shim.waitFor((l) => l.event === 'worker.idle' && l.reporting === true, 'second run idle');

  shim.kill('SIGTERM');
  const exit = await shim.waitForExit(5_000);

  assert.equal(cleared.tasks, 1);
  assert.equal(exit.code, 0, shim.output());
  assert.equal(shim.lines.filter((l) => l.event === 'worker.spawned').length, 2, shim.output());
});

test('counts only failures in a row: a successful run resets the count', async (t) => {
  const dir = await tempDir(t, 'drainwatch-shim-');
  const counter = join(dir, 'runs');
  // Runs 1 and 2 fail, run 3 succeeds, every later run fails.
  const script = `n=$(( $(cat "${counter}" 2>/dev/null || echo 0) + 1 )); ` +
    `echo $n > "${counter}"; [ "$n" -eq 3 ] && exit 0; exit 4`;
  const { shim } = await startShim(t, {
    dir, worker: '/bin/sh', workerArgs: ['-c', script], shimArgs: ['--loop'],
    env: { DRAINWATCH_LOOP_BACKOFF: '0ms', DRAINWATCH_LOOP_BACKOFF_MAX: '0ms',
      DRAINWATCH_LOOP_MAX_FAILURES: '3' },
  });

  const exit = await shim.waitForExit();

  assert.equal(exit.code, 4, shim.output());
  const failures = shim.lines.filter((l) => l.event === 'run.failed').map((l) => l.failures);
  assert.deepEqual(failures, [1, 2, 1, 2, 3]);
  assert.equal(shim.lines.filter((l) => l.event === 'worker.spawned').length, 6);
});

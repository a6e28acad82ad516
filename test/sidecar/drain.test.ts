import assert from 'node:assert/strict';
import { access, mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';

import { PROTOCOL_VERSION, writeJsonAtomic } from '../../common/protocol.js';
import {
  completion,
  getJson,
  startSidecar,
  workerState,
  writeMarker,
  writeWorker,
} from './support.js';

test('exits 0 when a worker touches an empty kill_sidecar after SIGTERM', async (t) => {
  const sidecar = await startSidecar(t);
  await sidecar.run.waitForEvent('watch.ready');

  sidecar.run.kill('SIGTERM');
  await sidecar.run.waitForEvent('drain.written');
  const drain = JSON.parse(await readFile(join(sidecar.dir, 'drainwatch', 'drain.json'), 'utf8'));
  assert.equal(drain.reason, 'sigterm');
  await writeMarker(sidecar.dir);

  const exit = await sidecar.run.waitForExit();
  assert.deepEqual(exit, { code: 0, signal: null }, sidecar.run.output());
  const events = sidecar.run.events();
  assert.ok(events.includes('sidecar.released'));
  assert.equal(events.at(-1), 'sidecar.exiting');
});

test('keeps waiting for the worker when SIGTERM comes a second time', async (t) => {
  const sidecar = await startSidecar(t);
  await sidecar.run.waitForEvent('watch.ready');

  sidecar.run.kill('SIGTERM');
  await sidecar.run.waitForEvent('drain.started');
  sidecar.run.kill('SIGTERM');
  await sidecar.run.waitForEvent('drain.signal_repeated');
  const status = await getJson(sidecar.url('/status'));

  assert.equal(status.body.phase, 'draining');
  await writeMarker(sidecar.dir);
  assert.equal((await sidecar.run.waitForExit()).code, 0);
});

test('holds every concurrent /prestop open until the marker appears, with /readyz 503 meanwhile',
  async (t) => {
    const sidecar = await startSidecar(t);
    assert.equal((await getJson(sidecar.url('/readyz'))).status, 200);

    const calls = Array.from({ length: 5 }, () => getJson(sidecar.url('/prestop')));
    await sidecar.run.waitFor((l) => l.event === 'prestop.waiting' && l.waiting === 5,
      'five held prestop calls');
    const ready = await getJson(sidecar.url('/readyz'));
    const status = await getJson(sidecar.url('/status'));
    await writeMarker(sidecar.dir);
    const answers = await Promise.all(calls);

    assert.equal(ready.status, 503);
    assert.equal(status.body.phase, 'draining');
    for (const answer of answers) {
      assert.equal(answer.status, 200);
      assert.equal(answer.body.status, 'released');
    }
    assert.equal((await sidecar.run.waitForExit()).code, 0);
  });

test('ignores a marker from an earlier worker instance and releases on the current one',
  async (t) => {
    const sidecar = await startSidecar(t);
    await writeWorker(sidecar.dir, workerState('instance-new'));
    await sidecar.run.waitFor((l) => l.event === 'worker.state_changed', 'worker state');

    await writeMarker(sidecar.dir, completion('instance-old', true));
    await sidecar.run.waitForEvent('marker.stale');
    const afterStale = await getJson(sidecar.url('/status'));
    sidecar.run.kill('SIGTERM');
    await sidecar.run.waitForEvent('drain.started');
    const duringDrain = await getJson(sidecar.url('/status'));
    await writeMarker(sidecar.dir, completion('instance-new', false));

    assert.equal(afterStale.body.phase, 'running');
    assert.equal(duringDrain.body.phase, 'draining');
    assert.equal((await sidecar.run.waitForExit()).code, 0);
    const released = sidecar.run.lines.find((l) => l.event === 'sidecar.released');
    assert.equal(released?.instance, 'instance-new');
  });

test('releases without any drain when the current instance writes a final marker', async (t) => {
  const sidecar = await startSidecar(t);
  await writeWorker(sidecar.dir, workerState('job-worker', { state: 'finished' }));
  await sidecar.run.waitFor((l) => l.event === 'worker.state_changed', 'worker state');

  await writeMarker(sidecar.dir, completion('job-worker', true));

  assert.equal((await sidecar.run.waitForExit()).code, 0);
  assert.ok(!sidecar.run.events().includes('drain.started'));
  await assert.rejects(access(join(sidecar.dir, 'drainwatch', 'drain.json')));
});

test('does not release on a non-final marker while the pod runs', async (t) => {
  const sidecar = await startSidecar(t);
  await writeWorker(sidecar.dir, workerState('restarting'));
  await writeMarker(sidecar.dir, completion('restarting', false));
  await sidecar.run.waitForEvent('marker.seen');

  const status = await getJson(sidecar.url('/status'));

  assert.equal(status.body.phase, 'running');
  sidecar.run.kill('SIGTERM');
  assert.equal((await sidecar.run.waitForExit()).code, 0, 'the marker counts once drained');
});

test('removes a drain.json left by an earlier start and keeps the pod running', async (t) => {
  // The kubelet restarts no container of a terminating pod: a restarted sidecar that finds
  // drain.json was stopped at container level (e.g. a failed liveness probe), not by a rollout.
  const first = await startSidecar(t);
  const dir = first.dir;
  first.run.kill('SIGKILL');
  await first.run.waitForExit();
  await mkdir(join(dir, 'drainwatch'), { recursive: true });
  await writeJsonAtomic(join(dir, 'drainwatch', 'drain.json'), { version: PROTOCOL_VERSION,
    requestedAt: new Date().toISOString(), reason: 'prestop', by: 'an-earlier-sidecar' });

  const second = await startSidecar(t, { dir });
  const cleared = await second.run.waitForEvent('drain.cleared');

  assert.equal(cleared.by, 'an-earlier-sidecar');
  await assert.rejects(access(join(dir, 'drainwatch', 'drain.json')));
  const status = await getJson(second.url('/status'));
  assert.equal(status.body.phase, 'running');
  assert.equal((await getJson(second.url('/readyz'))).status, 200);
  assert.ok(!second.run.events().includes('drain.started'), second.run.output());
});

test('counts a final marker present at start-up without any drain', async (t) => {
  const first = await startSidecar(t);
  const dir = first.dir;
  first.run.kill('SIGKILL');
  await first.run.waitForExit();
  await writeWorker(dir, workerState('job-worker'));
  await writeMarker(dir, completion('job-worker', true));

  const second = await startSidecar(t, { dir, waitListening: false });

  assert.equal((await second.run.waitForExit()).code, 0, second.run.output());
  assert.ok(second.run.events().includes('sidecar.released'));
});

test('sees a marker that is deleted and quickly re-created during a drain', async (t) => {
  const sidecar = await startSidecar(t);
  await writeWorker(sidecar.dir, workerState('w1'));
  await writeMarker(sidecar.dir, completion('w0', false));
  await sidecar.run.waitForEvent('marker.stale');
  sidecar.run.kill('SIGTERM');
  await sidecar.run.waitForEvent('drain.started');

  await rm(join(sidecar.dir, 'kill_sidecar'));
  await writeMarker(sidecar.dir, completion('w1', false));

  assert.equal((await sidecar.run.waitForExit()).code, 0, sidecar.run.output());
});

test('starts a drain for a SIGTERM that arrives while it is still starting up', async (t) => {
  const sidecar = await startSidecar(t, { waitListening: false });
  await sidecar.run.waitForEvent('sidecar.started');

  sidecar.run.kill('SIGTERM');
  await sidecar.run.waitForEvent('drain.started');
  await sidecar.run.waitForEvent('watch.ready');
  await writeMarker(sidecar.dir);

  assert.deepEqual(await sidecar.run.waitForExit(), { code: 0, signal: null },
    sidecar.run.output());
});

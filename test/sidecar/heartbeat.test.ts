import assert from 'node:assert/strict';
import { test } from 'node:test';

import { getJson, startSidecar, workerState, writeWorker } from './support.js';

test('exits 3 with a warning when the heartbeat stops during a drain', async (t) => {
  const sidecar = await startSidecar(t, { env: { DRAINWATCH_HEARTBEAT_TIMEOUT: '1s' } });
  await writeWorker(sidecar.dir, workerState('doomed', { state: 'busy' }));
  await sidecar.run.waitFor((l) => l.event === 'worker.state_changed', 'worker state');

  sidecar.run.kill('SIGTERM');
  await sidecar.run.waitForEvent('drain.started');

  const exit = await sidecar.run.waitForExit();
  assert.deepEqual(exit, { code: 3, signal: null }, sidecar.run.output());
  const lost = sidecar.run.lines.find((l) => l.event === 'worker.lost');
  assert.equal(lost?.level, 'warn');
  assert.ok((lost?.heartbeatAgeMs as number) > 1000);
});

test('releases at once when a drain starts after the heartbeat is already old', async (t) => {
  const sidecar = await startSidecar(t, { env: { DRAINWATCH_HEARTBEAT_TIMEOUT: '1s' } });
  const old = new Date(Date.now() - 60_000).toISOString();
  await writeWorker(sidecar.dir, workerState('gone', { heartbeatAt: old }));
  await sidecar.run.waitForEvent('heartbeat.stale');

  const prestop = await getJson(sidecar.url('/prestop'));

  assert.equal(prestop.status, 200);
  assert.equal(prestop.body.reason, 'worker-lost');
  assert.equal((await sidecar.run.waitForExit()).code, 3);
});

test('marks the pod unready but keeps running when the heartbeat is stale without a drain',
  async (t) => {
    const sidecar = await startSidecar(t, { env: { DRAINWATCH_HEARTBEAT_TIMEOUT: '1s' } });
    await writeWorker(sidecar.dir, workerState('quiet', { state: 'idle' }));
    await sidecar.run.waitFor((l) => l.event === 'worker.state_changed', 'worker state');
    assert.equal((await getJson(sidecar.url('/readyz'))).status, 200);

    const stale = await sidecar.run.waitForEvent('heartbeat.stale');
    const ready = await getJson(sidecar.url('/readyz'));
    const status = await getJson(sidecar.url('/status'));
    await writeWorker(sidecar.dir, workerState('quiet', { state: 'idle' }));
    await sidecar.run.waitForEvent('heartbeat.recovered');

    assert.equal(stale.level, 'warn');
    assert.equal(ready.status, 503);
    assert.equal(status.body.phase, 'running');
    assert.equal((await getJson(sidecar.url('/readyz'))).status, 200);
    assert.equal(sidecar.run.events().filter((e) => e === 'heartbeat.stale').length, 1);
  });

test('exits 4 when the drain timeout runs out before the worker is done', async (t) => {
  const sidecar = await startSidecar(t, { env: { DRAINWATCH_DRAIN_TIMEOUT: '500ms' } });
  await sidecar.run.waitForEvent('watch.ready');

  sidecar.run.kill('SIGTERM');

  assert.equal((await sidecar.run.waitForExit()).code, 4, sidecar.run.output());
  const timeout = sidecar.run.lines.find((l) => l.event === 'drain.timeout');
  assert.equal(timeout?.level, 'warn');
});

test('answers a held /prestop with 504 when the prestop timeout runs out', async (t) => {
  const sidecar = await startSidecar(t, { env: { DRAINWATCH_PRESTOP_TIMEOUT: '300ms' } });

  const answer = await getJson(sidecar.url('/prestop'));
  const status = await getJson(sidecar.url('/status'));

  assert.equal(answer.status, 504);
  assert.equal(typeof answer.body.error, 'string');
  assert.equal(status.body.phase, 'draining');
  assert.equal((await sidecar.run.waitForEvent('prestop.timeout')).level, 'warn');
});

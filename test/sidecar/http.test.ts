import assert from 'node:assert/strict';
import { test } from 'node:test';

import { getJson, startSidecar, workerState, writeMarker, writeWorker } from './support.js';

test('answers unknown paths with 404 and wrong methods with 405 and an Allow header',
  async (t) => {
    const sidecar = await startSidecar(t);

    const unknown = await getJson(sidecar.url('/nope'));
    const post = await fetch(sidecar.url('/healthz'), { method: 'POST', body: '{"a":' });
    const headPrestop = await fetch(sidecar.url('/prestop'), { method: 'HEAD' });
    const deletePrestop = await fetch(sidecar.url('/prestop'), { method: 'DELETE' });
    const status = await getJson(sidecar.url('/status'));

    assert.equal(unknown.status, 404);
    assert.deepEqual(unknown.body, { error: 'not found' });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get('allow'), 'GET, HEAD');
    assert.equal(headPrestop.status, 405);
    assert.equal(deletePrestop.headers.get('allow'), 'GET');
    assert.equal(status.body.phase, 'running', 'no method other than GET starts a drain');
  });

test('answers a malformed request with a 4xx JSON body that carries no stack trace', async (t) => {
  const sidecar = await startSidecar(t);

  const badPath = await getJson(sidecar.url('/%zz'));
  const tooLarge = await fetch(sidecar.url('/status'), { method: 'PUT', body: 'x'.repeat(100_000),
    headers: { 'content-type': 'text/plain' } });
  const tooLargeBody = await tooLarge.text();

  assert.equal(badPath.status, 400);
  assert.ok(!JSON.stringify(badPath.body).includes(' at '), JSON.stringify(badPath.body));
  assert.equal(tooLarge.status, 413);
  assert.ok(!tooLargeBody.includes(' at '), tooLargeBody);
  assert.equal(JSON.parse(tooLargeBody).error.length > 0, true);
});

test('reports phase, worker activity and heartbeat age on /status', async (t) => {
  const sidecar = await startSidecar(t);
  await writeWorker(sidecar.dir, workerState('w-status', { state: 'busy' }));
  await sidecar.run.waitFor((l) => l.event === 'worker.state_changed', 'worker state');

  const { status, body } = await getJson(sidecar.url('/status'));

  assert.equal(status, 200);
  assert.equal(body.phase, 'running');
  assert.equal(body.ready, true);
  assert.equal(body.drain, null);
  const worker = body.worker as Record<string, unknown>;
  assert.equal(worker.instance, 'w-status');
  assert.equal(worker.activity, 'busy');
  assert.equal(typeof worker.heartbeatAgeMs, 'number');
});

test('serves Prometheus metrics for phase, busy worker, markers and releases', async (t) => {
  const sidecar = await startSidecar(t);
  await writeWorker(sidecar.dir, workerState('w-metrics', { state: 'busy' }));
  await sidecar.run.waitFor((l) => l.event === 'worker.state_changed', 'worker state');

  const response = await fetch(sidecar.url('/metrics'));
  const text = await response.text();

  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /text\/plain/);
  assert.match(text, /^drainwatch_sidecar_phase\{phase="running"\} 1$/m);
  assert.match(text, /^drainwatch_sidecar_worker_busy 1$/m);
  assert.match(text, /^drainwatch_sidecar_drain_started_timestamp_seconds 0$/m);
  assert.match(text, /^drainwatch_sidecar_markers_seen_total\{kind="stale"\} 0$/m);
  assert.match(text, /^drainwatch_sidecar_releases_total\{reason="worker-lost"\} 0$/m);
  assert.match(text, /^drainwatch_sidecar_tasks_cut_off_total 0$/m);
  assert.match(text, /^drainwatch_sidecar_worker_heartbeat_age_seconds \d/m);
});

test('logs probe requests at debug level only', async (t) => {
  const sidecar = await startSidecar(t);

  await getJson(sidecar.url('/healthz'));
  const line = await sidecar.run.waitFor((l) => l.event === 'http.request', 'a request line');

  assert.equal(line.level, 'debug');
  assert.equal(line.url, '/healthz');
});

test('keeps draining when a /prestop caller goes away, and still releases', async (t) => {
  const sidecar = await startSidecar(t);
  const controller = new AbortController();
  const call = fetch(sidecar.url('/prestop'), { signal: controller.signal })
    .catch(() => 'aborted');
  await sidecar.run.waitForEvent('prestop.waiting');

  controller.abort();
  await sidecar.run.waitForEvent('prestop.abandoned');
  const status = await getJson(sidecar.url('/status'));

  assert.equal(await call, 'aborted');
  assert.equal(status.body.phase, 'draining');
  await writeMarker(sidecar.dir);
  assert.equal((await sidecar.run.waitForExit()).code, 0);
});

test('exits 1 with a fatal line when the port is already taken', async (t) => {
  const first = await startSidecar(t);
  const second = await startSidecar(t, {
    env: { DRAINWATCH_PORT: String(first.port) },
    waitListening: false,
  });

  assert.deepEqual(await second.run.waitForExit(), { code: 1, signal: null });
  const failed = second.run.lines.find((l) => l.event === 'sidecar.failed');
  assert.equal(failed?.level, 'fatal');
});

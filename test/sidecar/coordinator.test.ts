import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';

import { pino } from 'pino';

import type { CompletionMarker, ReadResult, WorkerState } from '../../common/protocol.js';
import { Coordinator, type Release, type Snapshot } from '../../sidecar/coordinator.js';
import { completion, workerState } from './support.js';

/** A coordinator on a hand-driven clock, recording its log events, drains and release. */
function harness(options: { heartbeatTimeoutMs?: number; drainTimeoutMs?: number } = {}) {
  let nowMs = Date.parse('2026-12-03T12:00:00.000Z');
  const events: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      events.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  const drains: string[] = [];
  let release: Release | undefined;
  const coordinator = new Coordinator({
    heartbeatTimeoutMs: options.heartbeatTimeoutMs ?? 10_000,
    drainTimeoutMs: options.drainTimeoutMs ?? 0,
    now: () => nowMs,
    log: pino({ level: 'debug' }, sink),
    onDrainStarted: (drain) => drains.push(drain.reason),
    onReleased: (r) => {
      release = r;
    },
  });
  return {
    coordinator,
    drains,
    released: () => release,
    eventNames: () => events.map((e) => e.event),
    advance: (ms: number) => {
      nowMs += ms;
    },
    worker: (instance: string, fields: Partial<WorkerState> = {}): ReadResult<WorkerState> =>
      ({ kind: 'valid', body: workerState(instance, {
        heartbeatAt: new Date(nowMs).toISOString(), ...fields }) }),
  };
}

function snapshot(parts: Partial<Snapshot>): Snapshot {
  return { worker: { kind: 'absent' }, marker: { kind: 'absent' }, drain: { kind: 'absent' },
    tasks: 0, ...parts };
}

function markerOf(instance: string, final: boolean): ReadResult<CompletionMarker> {
  return { kind: 'valid', body: completion(instance, final) as CompletionMarker };
}

test('counts a plain marker only once a drain has begun', () => {
  const h = harness();
  h.coordinator.observe(snapshot({ marker: { kind: 'empty' } }));
  assert.equal(h.coordinator.phase, 'running');

  h.coordinator.startDrain('sigterm');

  assert.equal(h.released()?.reason, 'marker');
  assert.deepEqual(h.drains, ['sigterm']);
});

test('never releases on a stale marker, even during a drain', () => {
  const h = harness();
  const worker = h.worker('current');
  const stale = markerOf('earlier', true);
  h.coordinator.observe(snapshot({ worker, marker: stale }));
  h.coordinator.startDrain('prestop');

  h.coordinator.observe(snapshot({ worker, marker: stale }));

  assert.equal(h.coordinator.phase, 'draining');
  assert.equal(h.coordinator.counters.markersSeen.stale, 1, 'counted once per distinct marker');
  h.coordinator.observe(snapshot({ worker, marker: markerOf('current', false) }));
  assert.equal(h.released()?.instance, 'current');
});

test('releases on a final marker of the current instance without a drain', () => {
  const h = harness();

  h.coordinator.observe(snapshot({ worker: h.worker('job'), marker: markerOf('job', true) }));

  assert.equal(h.released()?.reason, 'final-marker');
  assert.deepEqual(h.drains, []);
});

test('takes any JSON marker as current when no worker.json was ever seen', () => {
  const h = harness();

  h.coordinator.observe(snapshot({ marker: markerOf('someone', true) }));

  assert.equal(h.released()?.reason, 'final-marker');
});

test('treats an unparsable marker as plain and says so', () => {
  const h = harness();
  h.coordinator.startDrain('prestop');

  h.coordinator.observe(snapshot({ marker: { kind: 'invalid', problem: 'body is not JSON' } }));

  assert.equal(h.released()?.reason, 'marker');
  assert.ok(h.eventNames().includes('marker.invalid'));
});

test('keeps the last instance current while worker.json is briefly absent', () => {
  const h = harness();
  h.coordinator.observe(snapshot({ worker: h.worker('first') }));
  h.coordinator.startDrain('prestop');

  h.coordinator.observe(snapshot({ marker: markerOf('zeroth', false) }));

  assert.equal(h.coordinator.phase, 'draining');
});

test('releases as worker-lost once the heartbeat is older than the timeout in a drain', () => {
  const h = harness({ heartbeatTimeoutMs: 1000 });
  h.coordinator.observe(snapshot({ worker: h.worker('w'), tasks: 2 }));
  h.coordinator.startDrain('sigterm');
  h.advance(1000);
  h.coordinator.evaluate();
  assert.equal(h.coordinator.phase, 'draining', 'not yet older than the timeout');

  h.advance(1);
  h.coordinator.evaluate();

  assert.equal(h.released()?.reason, 'worker-lost');
  assert.equal(h.released()?.tasksCutOff, 2);
  assert.equal(h.coordinator.counters.tasksCutOff, 2);
});

test('flags a stale heartbeat once while running and clears it when fresh', () => {
  const h = harness({ heartbeatTimeoutMs: 1000 });
  h.coordinator.observe(snapshot({ worker: h.worker('w', { state: 'idle' }) }));
  assert.equal(h.coordinator.isReady(), true);

  h.advance(5000);
  h.coordinator.evaluate();
  h.coordinator.evaluate();

  assert.equal(h.coordinator.isReady(), false);
  assert.equal(h.eventNames().filter((e) => e === 'heartbeat.stale').length, 1);
  h.coordinator.observe(snapshot({ worker: h.worker('w', { state: 'idle' }) }));
  assert.equal(h.coordinator.isReady(), true);
});

test('is ready with no worker.json, and unready for a finished worker', () => {
  const h = harness();
  assert.equal(h.coordinator.isReady(), true);

  h.coordinator.observe(snapshot({ worker: h.worker('w', { state: 'finished' }) }));

  assert.equal(h.coordinator.isReady(), false);
});

test('fires the drain timeout from the time the drain was requested', () => {
  const h = harness({ drainTimeoutMs: 5000 });
  const requestedAt = new Date(Date.parse('2026-12-03T12:00:00.000Z') - 4000).toISOString();
  h.coordinator.observe(snapshot({ drain: { kind: 'valid', body: { version: 1, requestedAt,
    reason: 'prestop', by: 'x' } } }));
  assert.equal(h.coordinator.drain?.resumed, true);
  assert.equal(h.coordinator.drainDeadlineInMs(), 1000);
  assert.deepEqual(h.drains, [], 'a resumed drain is not written again');

  h.advance(1000);
  h.coordinator.evaluate();

  assert.equal(h.released()?.reason, 'drain-timeout');
});

test('starts a drain only once and ignores everything after the release', () => {
  const h = harness();
  assert.equal(h.coordinator.startDrain('prestop'), true);
  assert.equal(h.coordinator.startDrain('sigterm'), false);
  h.coordinator.observe(snapshot({ marker: { kind: 'empty' } }));
  const first = h.released();

  h.coordinator.observe(snapshot({ marker: markerOf('x', true) }));

  assert.equal(h.released(), first);
  assert.equal(h.eventNames().filter((e) => e === 'sidecar.released').length, 1);
});

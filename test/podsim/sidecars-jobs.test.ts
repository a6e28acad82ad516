import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  dump, indexOf, skipWithoutNamespaces as skip, startSimulation, waitEvent,
  waitLogLine,
} from './support.js';

const LOOP = "trap 'exit 0' TERM; echo trapped; while true; do sleep 0.1; done";
// The main container takes a moment after SIGTERM, so a sidecar signalled too early would show.
const SLOW_EXIT =
  "trap 'sleep 0.5; exit 0' TERM; echo main-trapped; while true; do sleep 0.1; done";

test('native sidecars stop in reverse order after the main containers', { skip }, async (t) => {
  const manifest = `
apiVersion: v1
kind: Pod
metadata: {name: with-sidecars}
spec:
  terminationGracePeriodSeconds: 20
  initContainers:
  - {name: first, image: x, restartPolicy: Always, command: ["sh", "-c", "${LOOP}"]}
  - {name: second, image: x, restartPolicy: Always, command: ["sh", "-c", "${LOOP}"]}
  containers:
  - {name: main, image: x, command: ["sh", "-c", "${SLOW_EXIT}"]}
`;
  const simulation = await startSimulation(t, manifest);
  await waitEvent(simulation, { event: 'PodReady', ready: true });
  await waitLogLine(simulation, 'main-trapped');

  await simulation.deletePod('with-sidecars');

  const events = simulation.log.events;
  const started = (c: string) => indexOf(events, { event: 'Started', container: c });
  assert.ok(started('first') < started('second') && started('second') < started('main'));
  const exited = (c: string) => indexOf(events, { event: 'Exited', container: c });
  const term = (c: string) => indexOf(events, { event: 'Signal', container: c });
  assert.ok(term('main') >= 0, dump(events));
  assert.ok(exited('main') < term('second'), dump(events));
  assert.ok(exited('second') < term('first'), dump(events));
  assert.equal(indexOf(events, { event: 'Signal', signal: 'SIGKILL' }), -1, dump(events));
});

function job(name: string, workerExit: number): string {
  return `
apiVersion: batch/v1
kind: Job
metadata: {name: ${name}}
spec:
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      terminationGracePeriodSeconds: 5
      initContainers:
      - {name: helper, image: x, restartPolicy: Always, command: ["sh", "-c", "${LOOP}"]}
      containers:
      - {name: worker, image: x, command: ["sh", "-c", "sleep 0.2; exit ${workerExit}"]}
`;
}

test('a Job with a sidecar completes and its pod succeeds', { skip }, async (t) => {
  const simulation = await startSimulation(t, job('batch-ok', 0));

  await waitEvent(simulation, { event: 'JobComplete', job: 'batch-ok' });

  const events = simulation.log.events;
  const completed = events[indexOf(events, { event: 'PodCompleted' })]!;
  assert.equal(completed.phase, 'Succeeded', dump(events));
  assert.ok(indexOf(events, { event: 'Signal', container: 'helper', signal: 'SIGTERM' }) >= 0);
  assert.equal(indexOf(events, { event: 'Started', container: 'helper', restartCount: 1 }), -1);
  assert.match(String(completed.pod), /^batch-ok-[a-z0-9]{5}$/);
  await simulation.waitAllGone(10_000);
});

test('a Job whose worker fails ends Failed', { skip }, async (t) => {
  const simulation = await startSimulation(t, job('batch-bad', 3));

  await waitEvent(simulation, { event: 'JobFailed', job: 'batch-bad' });

  const events = simulation.log.events;
  assert.equal(events[indexOf(events, { event: 'PodCompleted' })]!.phase, 'Failed', dump(events));
  assert.equal(events[indexOf(events, { event: 'JobFailed' })]!.reason, 'BackoffLimitExceeded');
});

test('a failed Job pod is replaced until the backoffLimit is reached', { skip }, async (t) => {
  const manifest = job('batch-retry', 1).replace('backoffLimit: 0', 'backoffLimit: 1');
  const simulation = await startSimulation(t, manifest);

  await waitEvent(simulation, { event: 'JobFailed', job: 'batch-retry' });

  const pods = new Set(simulation.log.events.filter((e) => e.event === 'PodCreated')
    .map((e) => e.pod));
  assert.equal(pods.size, 2);
});

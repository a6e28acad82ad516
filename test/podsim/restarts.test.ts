import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  all, dump, indexOf, skipWithoutNamespaces as skip, startSimulation, waitEvent,
  waitLogLine,
} from './support.js';

test('a container that exits while the pod runs is restarted with back-off', { skip },
  async (t) => {
    const manifest = `
apiVersion: v1
kind: Pod
metadata: {name: crashy}
spec:
  volumes: [{name: scratch, emptyDir: {}}]
  containers:
  - name: app
    image: x
    command: ["sh", "-c", "echo run >> /scratch/runs; exit 1"]
    volumeMounts: [{name: scratch, mountPath: /scratch}]
`;
    const simulation = await startSimulation(t, manifest, { backoffScale: 0.01 });

    await waitEvent(simulation, { event: 'Started', restartCount: 3 });

    const events = simulation.log.events;
    const backOffs = all(events, { event: 'BackOff' }).map((e) => e.delayMs);
    // First restart immediate, then 10 s and 20 s, scaled by 0.01.
    assert.deepEqual(backOffs.slice(0, 2), [100, 200], dump(events));
    assert.equal(all(events, { event: 'Exited', exitCode: 1 }).length >= 3, true);
    await simulation.deletePod('crashy');
    assert.equal(simulation.pod('crashy').gone, true);
  });

test('the emptyDir keeps its files across container restarts', { skip }, async (t) => {
  const manifest = `
apiVersion: v1
kind: Pod
metadata: {name: counter}
spec:
  restartPolicy: OnFailure
  volumes: [{name: scratch, emptyDir: {}}]
  containers:
  - name: app
    image: x
    command: ["sh", "-c", "echo x >> /scratch/runs; [ $(wc -l < /scratch/runs) -ge 3 ]"]
    volumeMounts: [{name: scratch, mountPath: /scratch}]
`;
  const simulation = await startSimulation(t, manifest);

  await waitEvent(simulation, { event: 'PodCompleted', pod: 'counter' });

  const events = simulation.log.events;
  assert.equal(all(events, { event: 'Started' }).length, 3, dump(events));
  assert.equal(events[indexOf(events, { event: 'PodCompleted' })]!.phase, 'Succeeded');
});

test('a container that exits while the pod terminates is not restarted', { skip }, async (t) => {
  const manifest = `
apiVersion: v1
kind: Pod
metadata: {name: leaving}
spec:
  containers:
  - name: app
    image: x
    command: ["sh", "-c", "trap 'exit 1' TERM; echo trapped; while true; do sleep 0.1; done"]
`;
  const simulation = await startSimulation(t, manifest);
  await waitLogLine(simulation, 'trapped');

  await simulation.deletePod('leaving');

  const events = simulation.log.events;
  assert.equal(all(events, { event: 'Started' }).length, 1, dump(events));
  assert.equal(indexOf(events, { event: 'BackOff' }), -1);
  assert.equal(events.at(-1)!.event, 'PodDeleted');
  assert.equal(events.at(-1)!.phase, 'Failed');
});

test('a failing liveness probe restarts the container', { skip }, async (t) => {
  const manifest = `
apiVersion: v1
kind: Pod
metadata: {name: unhealthy}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: app
    image: x
    command: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 0.1; done"]
    livenessProbe:
      exec: {command: ["false"]}
      periodSeconds: 1
      failureThreshold: 1
`;
  const simulation = await startSimulation(t, manifest);

  await waitEvent(simulation, { event: 'Started', pod: 'unhealthy', restartCount: 1 });

  const events = simulation.log.events;
  const probe = indexOf(events, { event: 'ProbeResult', probe: 'liveness', result: 'failure' });
  const killing = indexOf(events, { event: 'Killing' });
  assert.ok(probe >= 0 && killing > probe, dump(events));
});

test('readiness follows the readiness probe', { skip }, async (t) => {
  const manifest = `
apiVersion: v1
kind: Pod
metadata: {name: gated}
spec:
  volumes: [{name: flags, emptyDir: {}}]
  containers:
  - name: app
    image: x
    command: ["sh", "-c", "sleep 1; touch /flags/ready; while true; do sleep 0.1; done"]
    volumeMounts: [{name: flags, mountPath: /flags}]
    readinessProbe:
      exec: {command: ["test", "-f", "/flags/ready"]}
      periodSeconds: 1
`;
  const simulation = await startSimulation(t, manifest);

  await waitEvent(simulation, { event: 'PodReady', pod: 'gated', ready: true });

  const events = simulation.log.events;
  assert.ok(indexOf(events, { event: 'Unhealthy', probe: 'readiness' }) >= 0, dump(events));
  assert.ok(indexOf(events, { event: 'ProbeResult', probe: 'readiness', result: 'success' }) >= 0);
});

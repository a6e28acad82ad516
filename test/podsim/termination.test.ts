import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  all, dump, HTTP_SERVER, indexOf, NODE, skipWithoutNamespaces as skip, startSimulation,
  waitEvent, waitLogLine,
} from './support.js';

function podWithHook(name: string, grace: number, preStop: string, command: string): string {
  return `
apiVersion: v1
kind: Pod
metadata: {name: ${name}}
spec:
  terminationGracePeriodSeconds: ${grace}
  containers:
  - name: app
    image: fixture
    command: ${command}
    lifecycle:
      preStop: ${preStop}
`;
}

test('the preStop hook runs to its end before the stop signal', { skip }, async (t) => {
  const manifest = podWithHook('hooked', 10,
    '{httpGet: {path: "/prestop?delayMs=300", port: 8080, ' +
    'httpHeaders: [{name: X-Token, value: secret}]}}',
    `["${NODE}", "${HTTP_SERVER}", "serve"]`);
  const simulation = await startSimulation(t, manifest);
  const prestopLines: string[] = [];
  const listening = waitLogLine(simulation, '"listening"');
  simulation.onLog((l) => { if (l.line.includes('"prestop"')) prestopLines.push(l.line); });
  await listening;

  await simulation.deletePod('hooked');

  const events = simulation.log.events;
  const hookDone = indexOf(events, { event: 'PreStopHookSucceeded', status: 200 });
  const term = indexOf(events, { event: 'Signal', signal: 'SIGTERM' });
  assert.ok(hookDone >= 0 && term > hookDone, dump(events));
  assert.equal(indexOf(events, { event: 'Exited', exitCode: 0 }) > term, true, dump(events));
  assert.equal(indexOf(events, { event: 'Signal', signal: 'SIGKILL' }), -1, dump(events));
  assert.equal(prestopLines.length, 1);
  assert.match(prestopLines[0]!, /"token":"secret"/);
  assert.match(prestopLines[0]!, /kube-lifecycle/);
});

test('a hung hook gets the stop signal at the grace period and SIGKILL after it', { skip },
  async (t) => {
    const manifest = podWithHook('hung', 1, '{exec: {command: ["sleep", "30"]}}',
      '["sh", "-c", "trap \'\' TERM; echo trapped; while true; do sleep 0.1; done"]');
    const simulation = await startSimulation(t, manifest);
    await waitLogLine(simulation, 'trapped');

    await simulation.deletePod('hung');

    const events = simulation.log.events;
    const terminating = events[indexOf(events, { event: 'PodTerminating' })]!;
    const notCompleted = indexOf(events, { event: 'PreStopHookNotCompleted' });
    const term = indexOf(events, { event: 'Signal', signal: 'SIGTERM' });
    const kill = indexOf(events, { event: 'Signal', signal: 'SIGKILL' });
    assert.ok(notCompleted >= 0 && term > notCompleted && kill > term, dump(events));
    assert.equal(events[term]!.killAfterSeconds, 2, 'the 2-second floor applies');
    assert.ok(events[term]!.t - terminating.t >= 900, 'SIGTERM waits for the grace period');
    assert.equal(all(events, { event: 'Exited' })[0]!.exitCode, 137);
  });

test('a failing preStop hook is logged as an event and still followed by the signal', { skip },
  async (t) => {
    const manifest = podWithHook('failing', 5, '{httpGet: {path: /, port: 9}}',
      '["sh", "-c", "trap \'exit 0\' TERM; echo trapped; while true; do sleep 0.1; done"]');
    const simulation = await startSimulation(t, manifest);
    await waitLogLine(simulation, 'trapped');

    await simulation.deletePod('failing');

    const events = simulation.log.events;
    const failed = indexOf(events, { event: 'FailedPreStopHook', message: 'PreStopHook failed' });
    const term = indexOf(events, { event: 'Signal', signal: 'SIGTERM' });
    assert.ok(failed >= 0 && term > failed, dump(events));
    assert.equal(all(events, { event: 'Exited' })[0]!.exitCode, 0);
  });

test('a process that ignores SIGTERM dies by SIGKILL with exit code 137', { skip }, async (t) => {
  const manifest = `
apiVersion: v1
kind: Pod
metadata: {name: stubborn}
spec:
  terminationGracePeriodSeconds: 30
  containers:
  - name: app
    image: fixture
    command: ["sh", "-c", "trap '' TERM; sleep 1000 & echo trapped; while :; do sleep 0.1; done"]
`;
  const simulation = await startSimulation(t, manifest);
  await waitLogLine(simulation, 'trapped');

  await simulation.deletePod('stubborn', 1);

  const events = simulation.log.events;
  assert.equal(events[indexOf(events, { event: 'PodTerminating' })]!.graceSeconds, 1,
    'the delete option overrides the spec grace');
  const kill = events[indexOf(events, { event: 'Signal', signal: 'SIGKILL' })];
  const sandbox = events[indexOf(events, { event: 'SandboxReady' })];
  const killed = sandbox?.cgroup === undefined ? 'process group' : 'container';
  assert.equal(kill?.target, killed, dump(events));
  const exited = all(events, { event: 'Exited' });
  assert.equal(exited.length, 1);
  assert.equal(exited[0]!.exitCode, 137);
  assert.equal(exited[0]!.reason, 'Error');
  assert.equal(events.at(-1)!.event, 'PodDeleted');
  assert.equal(events.at(-1)!.phase, 'Failed');
});

test('a container that already exited gets no hook and no signal', { skip }, async (t) => {
  const manifest = `
apiVersion: v1
kind: Pod
metadata: {name: partly-done}
spec:
  restartPolicy: Never
  containers:
  - name: quick
    image: fixture
    command: ["sh", "-c", "exit 0"]
    lifecycle: {preStop: {exec: {command: ["true"]}}}
  - name: slow
    image: fixture
    command: ["sh", "-c", "trap 'exit 0' TERM; echo trapped; while true; do sleep 0.1; done"]
`;
  const simulation = await startSimulation(t, manifest);
  await waitEvent(simulation, { event: 'Exited', container: 'quick' });
  await waitLogLine(simulation, 'trapped');

  await simulation.deletePod('partly-done');

  const events = simulation.log.events;
  assert.equal(indexOf(events, { event: 'Killing', container: 'quick' }), -1, dump(events));
  assert.equal(indexOf(events, { event: 'PreStopHookStarted', container: 'quick' }), -1);
  assert.ok(indexOf(events, { event: 'Signal', container: 'slow', signal: 'SIGTERM' }) >= 0);
  assert.equal(events.at(-1)!.phase, 'Succeeded');
});

test('with PID 1 rules a stop signal the main process does not handle is dropped', { skip },
  async (t) => {
    const manifest = `
apiVersion: v1
kind: Pod
metadata: {name: init-like}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: app
    image: x
    command: ["sh", "-c", "echo running; while true; do sleep 0.1; done"]
`;
    const simulation = await startSimulation(t, manifest, { pid1Signals: true });
    await waitLogLine(simulation, 'running');

    await simulation.deletePod('init-like');

    const events = simulation.log.events;
    const term = events[indexOf(events, { event: 'Signal', signal: 'SIGTERM' })];
    assert.equal(term?.delivered, false, dump(events));
    assert.equal(term?.note, 'ignored by init');
    assert.equal(all(events, { event: 'Exited' })[0]!.exitCode, 137);
  });

import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  dump, indexOf, NODE, skipWithoutNamespaces as skip, startSimulation, waitEvent, waitLogLine,
} from './support.js';

const PRINT_PATH_AND_WAIT = "console.log('path=' + process.env.PATH); setInterval(() => 0, 1e3)";

test('a container whose PATH lacks the agent\'s tools starts from an absolute command path',
  { skip }, async (t) => {
    const manifest = `
apiVersion: v1
kind: Pod
metadata: {name: bare-path}
spec:
  terminationGracePeriodSeconds: 2
  containers:
  - name: app
    image: x
    command: ["${NODE}", "-e", "${PRINT_PATH_AND_WAIT}"]
    env: [{name: PATH, value: /nonexistent}]
    readinessProbe:
      exec: {command: ["${NODE}", "-e", "process.exit(0)"]}
      periodSeconds: 1
`;
    const simulation = await startSimulation(t, manifest);

    assert.equal(await waitLogLine(simulation, 'path='), 'path=/nonexistent');
    await waitEvent(simulation, { event: 'PodReady', pod: 'bare-path', ready: true });
    await simulation.deletePod('bare-path');
    const events = simulation.log.events;
    assert.notEqual(indexOf(events, { event: 'Started', container: 'app' }), -1, dump(events));
    assert.equal(indexOf(events, { event: 'FailedToStart' }), -1, dump(events));
    assert.notEqual(indexOf(events, { event: 'Exited', container: 'app', exitCode: 143 }), -1,
      dump(events));
  });

test('a container whose command is not on its PATH fails with exit code 127', { skip },
  async (t) => {
    const manifest = `
apiVersion: v1
kind: Pod
metadata: {name: not-found}
spec:
  restartPolicy: Never
  containers:
  - name: app
    image: x
    command: ["node", "-e", "0"]
    env: [{name: PATH, value: /nonexistent}]
`;
    const simulation = await startSimulation(t, manifest);

    const exited = await waitEvent(simulation, { event: 'Exited', container: 'app' });
    assert.equal(exited.exitCode, 127, dump(simulation.log.events));
  });

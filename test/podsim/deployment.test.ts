import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  all, dump, skipWithoutNamespaces as skip, startSimulation, waitEvent,
} from './support.js';

function deployment(replicas: number, strategy: string): string {
  return `
apiVersion: apps/v1
kind: Deployment
metadata: {name: pool}
spec:
  replicas: ${replicas}
  strategy: ${strategy}
  template:
    spec:
      terminationGracePeriodSeconds: 2
      containers:
      - name: app
        image: x
        command: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 0.1; done"]
`;
}

test('scaling a Deployment down deletes the surplus pods and keeps the rest', { skip },
  async (t) => {
    const simulation = await startSimulation(t, deployment(3, '{}'));
    await simulation.waitRolloutComplete('pool');

    simulation.scale('pool', 1);
    await simulation.waitFor(() => simulation.pods.length === 1, 'one pod left', 30_000);

    const events = simulation.log.events;
    assert.equal(all(events, { event: 'PodDeleted' }).length, 2, dump(events));
    assert.equal(simulation.pods[0]!.ready, true);
  });

test('with maxSurge 0 a rollout deletes an old pod before it creates a new one', { skip },
  async (t) => {
    const strategy = '{rollingUpdate: {maxSurge: 0, maxUnavailable: "50%"}}';
    const simulation = await startSimulation(t, deployment(2, strategy));
    await simulation.waitRolloutComplete('pool');
    const oldPods = new Set(simulation.pods.map((p) => p.name));

    simulation.rollout('pool');
    await simulation.waitRolloutComplete('pool');
    await waitEvent(simulation, { event: 'PodDeleted' });

    const events = simulation.log.events;
    const rollout = events.findIndex((e) => e.event === 'RolloutStarted');
    const after = events.slice(rollout);
    const firstDelete = after.findIndex((e) => e.event === 'PodTerminating' &&
      oldPods.has(String(e.pod)));
    const firstCreate = after.findIndex((e) => e.event === 'PodCreated');
    assert.ok(firstDelete >= 0 && firstDelete < firstCreate, dump(after));
    const live = simulation.pods.filter((p) => !p.terminating);
    assert.equal(live.length, 2);
    assert.ok(live.every((p) => !oldPods.has(p.name)));
  });

test('a force-deleted pod is replaced at once while the node still stops it', { skip },
  async (t) => {
    const manifest = deployment(1, '{}').replace("trap 'exit 0' TERM", "trap '' TERM");
    const simulation = await startSimulation(t, manifest);
    await simulation.waitRolloutComplete('pool');
    const old = simulation.pods[0]!.name;

    await simulation.deletePod(old, 0, { force: true });

    const events = simulation.log.events;
    const replaced = events.findIndex((e) => e.event === 'PodCreated' && e.pod !== old);
    const oldExit = events.findIndex((e) => e.event === 'Exited' && e.pod === old);
    assert.ok(replaced >= 0 && replaced < oldExit, dump(events));
    const terminating = events.find((e) => e.event === 'PodTerminating' && e.pod === old);
    assert.equal(terminating?.graceSeconds, 2, 'the node uses the spec grace (A7)');
    assert.equal(events[oldExit]!.exitCode, 137);
  });

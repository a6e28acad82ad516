// Scenarios 1, 2 and 8: a rolling update of the reference Deployment, with idle workers and with
// a worker in the middle of a task, defined once for a variant (k8s/classic or k8s/native) and
// run by one test file per variant, so that the two run in parallel.
// Patched: replicas 2 (fewer processes on a small machine; the rollout logic is the same).

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import { test } from 'node:test';

import {
  PROMPT_MS, render, runningPods, setReplicas, skip, startScenario, type Scenario,
} from './support.js';

async function startDeployment(t: Parameters<typeof startScenario>[0], variant: string) {
  const objects = await render(variant);
  setReplicas(objects, 2);
  const scenario = await startScenario(t, objects);
  await scenario.waitEvent({ event: 'RolloutComplete', revision: 1 });
  return scenario;
}

function assertNothingKilled(scenario: Scenario, pod: string): void {
  const kills = scenario.eventsWhere({ event: 'Signal', pod, signal: 'SIGKILL' });
  assert.deepEqual(kills, [], scenario.dump());
}

function assertClean(scenario: Scenario, pod: string): void {
  for (const exit of scenario.eventsWhere({ event: 'Exited', pod })) {
    assert.equal(exit.exitCode, 0, `${pod} ${String(exit.container)}\n${scenario.dump()}`);
  }
  assertNothingKilled(scenario, pod);
}

export function defineRollingUpdateTests(variant: string): void {
  test(`${variant}: each idle old pod leaves Terminating promptly in a rolling update`, { skip },
    async (t) => {
      const scenario = await startDeployment(t, variant);
      const oldPods = runningPods(scenario);

      scenario.simulation.rollout();
      await scenario.waitEvent({ event: 'RolloutComplete', revision: 2 });
      await Promise.all(oldPods.map((pod) => scenario.waitEvent({ event: 'PodDeleted', pod })));

      for (const pod of oldPods) {
        assert.ok(scenario.terminationMs(pod) < PROMPT_MS, `${pod}\n${scenario.dump()}`);
        assertClean(scenario, pod);
        // The shim's marker after a drain is final, so the sidecar releases on it.
        const released = scenario.linesWhere({ pod, event: 'sidecar.released' });
        assert.equal(released[0]?.reason, 'final-marker', scenario.dump());
      }
    });

  test(`${variant}: a busy old pod finishes its task, unkilled, then leaves promptly`, { skip },
    async (t) => {
      const scenario = await startDeployment(t, variant);
      const oldPods = runningPods(scenario);
      const release = join(scenario.dir, 'release-long-task');
      scenario.publish({ id: 'long-task', releaseFile: release });
      const started = await scenario.waitLine({ event: 'fixture.task_started' });
      const busyPod = started.pod;

      scenario.simulation.rollout();
      await scenario.waitEvent({ event: 'PodTerminating', pod: busyPod });
      // Handshake: the sidecar holds the drain for the busy worker. Only now does the task end.
      const drain = await scenario.waitLine({ pod: busyPod, event: 'drain.started' });
      assert.equal(drain.busy, true, scenario.dump());
      await writeFile(release, '');
      const completed = await scenario.waitLine({ pod: busyPod, event: 'fixture.task_completed' });
      const deleted = await scenario.waitEvent({ event: 'PodDeleted', pod: busyPod });

      assert.equal(completed.draining, true, 'the task ended during the drain');
      assert.deepEqual(scenario.completedTasks(), ['long-task']);
      assert.ok(deleted.t - completed.t < PROMPT_MS, scenario.dump());
      assertClean(scenario, busyPod);
      assert.deepEqual(scenario.linesWhere({ event: 'fixture.sigterm', busy: true }), []);
      // Every old pod leaves by itself: none is still Terminating when the emulator stops.
      await Promise.all(oldPods.map((pod) => scenario.waitEvent({ event: 'PodDeleted', pod })));
    });
}

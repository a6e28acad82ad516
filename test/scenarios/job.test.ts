// Scenario 7: the Job variant (k8s/job). The worker runs until the queue is empty; the shim
// writes a final marker, the sidecar exits by itself, and the pod ends Succeeded. A worker that
// fails ends the pod Failed, and the sidecar still leaves (a final marker with the failure).
// Patched: backoffLimit 0, so that a failed pod is not retried and the Job fails at once.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { type Message } from '../../demo/file-queue.js';
import { PROMPT_MS, render, skip, startScenario, workloadOf, type Scenario } from './support.js';

async function runJob(t: Parameters<typeof startScenario>[0], messages: Message[]) {
  const objects = await render('job');
  (workloadOf(objects).spec as { backoffLimit?: number }).backoffLimit = 0;
  const scenario = await startScenario(t, objects, { publish: messages });
  const finished = await scenario.waitEvent({ event: 'PodCompleted' });
  return { scenario, pod: finished.pod!, phase: finished.phase };
}

function assertSidecarLeftByItself(scenario: Scenario, pod: string): void {
  const released = scenario.linesWhere({ pod, event: 'sidecar.released' })[0];
  assert.equal(released?.reason, 'final-marker', scenario.dump());
  const sidecarExit = scenario.eventsWhere({ event: 'Exited', pod, container: 'drainwatch' })[0];
  assert.equal(sidecarExit?.exitCode, 0, scenario.dump());
  // The pod completed because both containers ended: nobody had to signal the sidecar.
  assert.deepEqual(scenario.eventsWhere({ event: 'Signal', pod }), [], scenario.dump());
}

test('a Job whose worker completes ends Succeeded once the sidecar exits by itself', { skip },
  async (t) => {
    const { scenario, pod, phase } = await runJob(t, [
      { id: 'batch-1', durationMs: 200 },
      { id: 'batch-2', durationMs: 200 },
    ]);

    assert.equal(phase, 'Succeeded', scenario.dump());
    assert.deepEqual(scenario.completedTasks().sort(), ['batch-1', 'batch-2']);
    assertSidecarLeftByItself(scenario, pod);
    const workerExit = scenario.eventsWhere({ event: 'Exited', pod, container: 'worker' })[0]!;
    const completed = scenario.eventsWhere({ event: 'PodCompleted', pod })[0]!;
    assert.ok(completed.t - workerExit.t < PROMPT_MS, scenario.dump());
    await scenario.waitEvent({ event: 'JobComplete' });
  });

test('a Job whose worker fails ends Failed and its sidecar still leaves', { skip }, async (t) => {
  const { scenario, pod, phase } = await runJob(t, [{ id: 'bad-batch', fail: true }]);

  assert.equal(phase, 'Failed', scenario.dump());
  const workerExit = scenario.eventsWhere({ event: 'Exited', pod, container: 'worker' })[0];
  assert.equal(workerExit?.exitCode, 3, scenario.dump());
  assertSidecarLeftByItself(scenario, pod);
  await scenario.waitEvent({ event: 'JobFailed' });
});

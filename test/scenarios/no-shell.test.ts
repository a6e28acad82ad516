// Scenario 9: a worker image without a shell. drainwatch needs none: the worker's only hook is
// the preStop httpGet to the sidecar, run by the kubelet from outside the container, and both
// programs start without a shell. The emulator cannot take /bin/sh off the node's filesystem,
// so every container's PATH holds only the scenario's bin directory (node, the two programs,
// the worker, and podsim's setpriv), and nothing in it is a shell script.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import { test } from 'node:test';

import { PROMPT_MS, containerOf, render, setReplicas, skip, startScenario } from './support.js';

test('a worker without a shell drains through its preStop httpGet alone', { skip }, async (t) => {
  const objects = await render('classic');
  setReplicas(objects, 1);
  const hook = containerOf(objects, 'worker').lifecycle?.preStop;
  assert.deepEqual(Object.keys(hook ?? {}), ['httpGet'], 'the manifest\'s only worker hook');
  const scenario = await startScenario(t, objects, { hostPath: '' });
  await scenario.waitEvent({ event: 'RolloutComplete', revision: 1 });
  const started = await scenario.waitLine({ event: 'fixture.started' });
  assert.equal(started.shellOnPath, false, 'no shell is reachable in the worker container');
  const release = join(scenario.dir, 'release-task');
  scenario.publish({ id: 'shell-free-task', releaseFile: release });
  const { pod } = await scenario.waitLine({ event: 'fixture.task_started' });
  // Handshake: the sidecar has seen the task, so its drain.started line reports it busy.
  await scenario.waitLine({ pod, event: 'worker.state_changed', state: 'busy' });

  const deletion = scenario.deletePod(pod);
  await scenario.waitEvent({ event: 'PreStopHookStarted', pod, container: 'worker' });
  await scenario.waitLine({ pod, event: 'drain.started', busy: true });
  await writeFile(release, '');
  const completed = await scenario.waitLine({ pod, event: 'fixture.task_completed' });
  await deletion;

  const answered = scenario.eventsWhere({ event: 'PreStopHookSucceeded', pod,
    container: 'worker' })[0];
  assert.equal(answered?.action, 'httpGet', scenario.dump());
  assert.equal(answered?.status, 200, scenario.dump());
  assert.ok(answered.t >= completed.t, 'the hook was held until the task ended');
  assert.deepEqual(scenario.eventsWhere({ event: 'FailedPreStopHook', pod }), []);
  assert.deepEqual(scenario.eventsWhere({ event: 'Signal', pod, signal: 'SIGKILL' }), []);
  const deleted = scenario.eventsWhere({ event: 'PodDeleted', pod })[0]!;
  assert.ok(deleted.t - completed.t < PROMPT_MS, scenario.dump());
  assert.deepEqual(scenario.completedTasks(), ['shell-free-task']);
});

// Scenario 6: the sidecar container restarts while the pod runs (a crash, a failed liveness
// probe). The new sidecar process has no memory of its own; it recovers the worker's instance
// and busy state from the coordination directory, and a later drain works as before.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import { test } from 'node:test';

import { PROMPT_MS, render, setReplicas, skip, startScenario } from './support.js';

test('a restarted sidecar recovers the busy worker from the directory and drains it',
  { skip }, async (t) => {
    const objects = await render('classic');
    setReplicas(objects, 1);
    const scenario = await startScenario(t, objects);
    await scenario.waitEvent({ event: 'RolloutComplete', revision: 1 });
    const release = join(scenario.dir, 'release-task');
    scenario.publish({ id: 'survivor-task', releaseFile: release });
    const { pod } = await scenario.waitLine({ event: 'fixture.task_started' });
    const shim = await scenario.waitLine({ pod, event: 'shim.started' });

    scenario.killContainer(pod, 'drainwatch', 'drainwatch-sidecar');
    const restarted = await scenario.waitEvent({ event: 'Started', pod, container: 'drainwatch',
      restartCount: 1 });
    // The restarted process reads the worker's state from the directory: same instance, busy.
    const recovered = await scenario.waitLineWhere((l) => l.pod === pod &&
      l.event === 'worker.state_changed' && l.t > restarted.t, 'the restarted sidecar\'s state');
    assert.equal(recovered.instance, shim.instance, scenario.dump());
    assert.equal(recovered.state, 'busy', scenario.dump());
    await scenario.waitEvent({ event: 'PodReady', pod, ready: true });

    const deletion = scenario.deletePod(pod);
    const drain = await scenario.waitLineWhere((l) => l.pod === pod && l.event === 'drain.started',
      'drain.started');
    assert.equal(drain.busy, true, scenario.dump());
    await writeFile(release, '');
    const completed = await scenario.waitLine({ pod, event: 'fixture.task_completed' });
    await deletion;

    const deleted = scenario.eventsWhere({ event: 'PodDeleted', pod })[0]!;
    assert.ok(deleted.t - completed.t < PROMPT_MS, scenario.dump());
    assert.deepEqual(scenario.completedTasks(), ['survivor-task']);
    assert.deepEqual(scenario.eventsWhere({ event: 'Signal', pod, signal: 'SIGKILL' }), []);
    assert.equal(scenario.eventsWhere({ event: 'Started', pod, container: 'worker' }).length, 1,
      'the worker container never restarted');
  });

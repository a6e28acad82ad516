// Scenario 5: the worker container is SIGKILLed during a drain (an OOM kill, a node agent gone
// wrong). No marker will ever come; the worker's heartbeat stops, and the sidecar exits within
// the heartbeat timeout instead of holding the pod for the grace period (3600 s, unpatched).

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';

import { PROMPT_MS, render, setEnv, setReplicas, skip, startScenario } from './support.js';

/** Patched from 10 s so the scenario takes seconds; the heartbeat interval stays 2 s. */
const HEARTBEAT_TIMEOUT_MS = 5_000;

test('the sidecar exits within the heartbeat timeout when the worker is SIGKILLed mid-drain',
  { skip }, async (t) => {
    const objects = await render('classic');
    setReplicas(objects, 1);
    setEnv(objects, 'drainwatch', 'DRAINWATCH_HEARTBEAT_TIMEOUT', `${HEARTBEAT_TIMEOUT_MS}ms`);
    const scenario = await startScenario(t, objects);
    await scenario.waitEvent({ event: 'RolloutComplete', revision: 1 });
    scenario.publish({ id: 'doomed-task', releaseFile: join(scenario.dir, 'never') });
    const { pod } = await scenario.waitLine({ event: 'fixture.task_started' });
    // Handshake: the sidecar has seen the task, so its drain.started line reports it busy.
    await scenario.waitLine({ pod, event: 'worker.state_changed', state: 'busy' });

    const deletion = scenario.deletePod(pod);
    await scenario.waitLine({ pod, event: 'drain.started', busy: true });
    // What the kernel does to an OOM-killed container: SIGKILL, no handler runs. The shim is
    // the container's main process; the fixture worker dies with it.
    scenario.killContainer(pod, 'worker', 'drainwatch-shim');
    const killedAt = (await scenario.waitEvent({ event: 'Exited', pod, container: 'worker' })).t;
    await deletion;

    const lost = scenario.linesWhere({ pod, event: 'worker.lost' })[0];
    assert.ok(lost, scenario.dump());
    assert.equal(lost.level, 'warn');
    assert.equal(lost.tasks, 1, 'the task in progress is reported as cut off');
    const sidecarExit = scenario.eventsWhere({ event: 'Exited', pod, container: 'drainwatch' })[0];
    assert.equal(sidecarExit?.exitCode, 3, scenario.dump());
    assert.ok(sidecarExit.t - killedAt < HEARTBEAT_TIMEOUT_MS + PROMPT_MS, scenario.dump());
    assert.deepEqual(scenario.eventsWhere({ event: 'Signal', pod, signal: 'SIGKILL' }), []);
    assert.deepEqual(scenario.completedTasks(), []);
  });

// Scenario 4: the worker crashes while the pod runs. The worker container restarts; the sidecar
// sees the crashed instance's marker (not final: the Deployment restarts the container) and
// keeps running; the restarted shim is a new instance, and a later drain still works.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { PROMPT_MS, render, setEnv, setReplicas, skip, startScenario } from './support.js';

test('a crashed worker container restarts and the sidecar does not exit on its marker',
  { skip }, async (t) => {
    const objects = await render('classic');
    setReplicas(objects, 1);
    // One failed run ends the shim's loop (and the container): the default, five failures in
    // a row with a doubling back-off, would take 15 s to get there.
    setEnv(objects, 'worker', 'DRAINWATCH_LOOP_MAX_FAILURES', '1');
    const scenario = await startScenario(t, objects);
    await scenario.waitEvent({ event: 'RolloutComplete', revision: 1 });
    const first = await scenario.waitLine({ event: 'shim.started' });
    const { pod } = first;

    scenario.publish({ id: 'crashing-task', crash: true });
    await scenario.waitEvent({ event: 'Exited', pod, container: 'worker', exitCode: 1 });
    await scenario.waitEvent({ event: 'Started', pod, container: 'worker', restartCount: 1 });
    const second = await scenario.waitLineWhere((l) => l.event === 'shim.started' &&
      l.instance !== first.instance, 'a second shim instance');
    // The sidecar takes the restarted shim as the current worker.
    await scenario.waitLine({ pod, event: 'worker.state_changed', instance: second.instance });
    await scenario.waitEvent({ event: 'PodReady', pod, ready: true });

    const marker = scenario.linesWhere({ pod, container: 'drainwatch' })
      .find((l) => l.event === 'marker.seen' || l.event === 'marker.stale');
    assert.equal(marker?.instance, first.instance, scenario.dump());
    assert.equal(marker?.final, false, scenario.dump());
    assert.deepEqual(scenario.eventsWhere({ event: 'Exited', pod, container: 'drainwatch' }), []);
    assert.equal(scenario.eventsWhere({ event: 'Started', pod, container: 'drainwatch' }).length,
      1, scenario.dump());

    await scenario.deletePod(pod);

    assert.ok(scenario.terminationMs(pod) < PROMPT_MS, scenario.dump());
    const sidecarExit = scenario.eventsWhere({ event: 'Exited', pod, container: 'drainwatch' });
    assert.equal(sidecarExit[0]?.exitCode, 0, scenario.dump());
  });

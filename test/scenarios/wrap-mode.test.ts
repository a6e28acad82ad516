// Scenario 10: wrap mode. The sidecar container runs `drainwatch-sidecar -- scenario-proxy`, a
// third-party process that ignores SIGTERM (as some proxies and log shippers do). It keeps
// running through the drain while the worker needs it; once the worker is done, drainwatch
// sends it SIGTERM, then SIGKILL after DRAINWATCH_STOP_TIMEOUT, and exits with its code.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import { test } from 'node:test';

import {
  PROMPT_MS, containerOf, render, setEnv, setReplicas, skip, startScenario,
} from './support.js';

/** Patched from the default 10 s so that the SIGKILL comes within the test's patience. */
const STOP_TIMEOUT_MS = 2_000;

test('a wrapped process that ignores SIGTERM is held until the worker is done, then stopped',
  { skip }, async (t) => {
    const objects = await render('classic');
    setReplicas(objects, 1);
    // Wrap mode, as the manifest's comment on the sidecar's command describes it.
    containerOf(objects, 'drainwatch').command = ['drainwatch-sidecar', '--', 'scenario-proxy'];
    setEnv(objects, 'drainwatch', 'DRAINWATCH_STOP_TIMEOUT', `${STOP_TIMEOUT_MS}ms`);
    const scenario = await startScenario(t, objects);
    await scenario.waitEvent({ event: 'RolloutComplete', revision: 1 });
    await scenario.waitLine({ event: 'proxy.started' });
    const release = join(scenario.dir, 'release-task');
    scenario.publish({ id: 'proxied-task', releaseFile: release });
    const { pod } = await scenario.waitLine({ event: 'fixture.task_started' });
    // Handshake: the sidecar has seen the task, so its drain.started line reports it busy.
    await scenario.waitLine({ pod, event: 'worker.state_changed', state: 'busy' });

    const deletion = scenario.deletePod(pod);
    await scenario.waitLine({ pod, event: 'drain.started', busy: true });
    await writeFile(release, '');
    const completed = await scenario.waitLine({ pod, event: 'fixture.task_completed' });
    await deletion;

    const ignored = scenario.linesWhere({ pod, event: 'proxy.sigterm_ignored' });
    assert.ok(ignored.length >= 1, scenario.dump());
    assert.ok(ignored.every((l) => l.t >= completed.t), 'no SIGTERM reached it before the end');
    const forced = scenario.linesWhere({ pod, event: 'child.force_killed' })[0];
    assert.ok(forced, scenario.dump());
    const sidecarExit = scenario.eventsWhere({ event: 'Exited', pod, container: 'drainwatch' })[0];
    assert.equal(sidecarExit?.exitCode, 137, 'the child\'s code: 128 + SIGKILL');
    assert.ok(sidecarExit.t - completed.t < STOP_TIMEOUT_MS + PROMPT_MS, scenario.dump());
    assert.deepEqual(scenario.completedTasks(), ['proxied-task']);
    assert.deepEqual(scenario.eventsWhere({ event: 'Signal', pod, signal: 'SIGKILL' }), [],
      'the kubelet killed nothing');
  });

// Scenario 3: a task longer than the grace period. The kubelet SIGKILLs the worker when the
// grace period runs out; drainwatch's own bounds, set below it as the manifest sets them, make
// the sidecar say so first: prestop.timeout and drain.timeout (warn), then sidecar.released
// with tasksCutOff and exit code 4.
//
// Where the count lives: drainwatch_sidecar_tasks_cut_off_total is incremented at the drain
// timeout, but the sidecar exits right after, so no scrape can be relied on to see it (a scrape
// during the drain, checked here, shows the busy worker and a count of 0). The
// durable record is the sidecar's last log lines (sidecar.released: reason "drain-timeout",
// tasksCutOff) and its container's exit code 4, which the kubelet keeps in the pod status
// (lastState.terminated.exitCode, exported by kube-state-metrics). This test checks both.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';

import {
  BOUND_MS, render, setEnv, setGraceSeconds, setReplicas, skip, startScenario,
} from './support.js';

/** Patched grace period; the shipped 3600 s keeps the same proportions as the bounds below. */
const GRACE_SECONDS = 8;

test('a task longer than the grace period is cut off by SIGKILL and the logs say so', { skip },
  async (t) => {
    const objects = await render('classic');
    setReplicas(objects, 1);
    // Shortened so the test takes seconds, in the manifest's order: the held preStop is
    // answered first, then the sidecar gives up on the drain, then the kubelet's SIGKILL.
    setGraceSeconds(objects, GRACE_SECONDS);
    setEnv(objects, 'drainwatch', 'DRAINWATCH_PRESTOP_TIMEOUT', '4s');
    setEnv(objects, 'drainwatch', 'DRAINWATCH_DRAIN_TIMEOUT', '6s');
    const scenario = await startScenario(t, objects);
    await scenario.waitEvent({ event: 'RolloutComplete', revision: 1 });
    // The release file is never created: the task outlasts any grace period.
    scenario.publish({ id: 'endless-task', releaseFile: join(scenario.dir, 'never') });
    const { pod } = await scenario.waitLine({ event: 'fixture.task_started' });
    // Handshake: the sidecar has seen the task, so its drain.started line reports it busy.
    await scenario.waitLine({ pod, event: 'worker.state_changed', state: 'busy' });

    const deletion = scenario.deletePod(pod);
    await scenario.waitLine({ pod, event: 'drain.started', busy: true });
    // While the drain runs, /metrics shows it: a busy worker, nothing cut off yet.
    const metrics = await scenario.getInPod(pod, 'drainwatch', 'drainwatch-sidecar', 9797,
      '/metrics');
    await deletion;

    assert.match(metrics, /^drainwatch_sidecar_phase\{phase="draining"\} 1$/m);
    assert.match(metrics, /^drainwatch_sidecar_worker_busy 1$/m);
    assert.match(metrics, /^drainwatch_sidecar_tasks_cut_off_total 0$/m);

    const terminating = scenario.eventsWhere({ event: 'PodTerminating', pod })[0]!;
    const kill = scenario.eventsWhere({ event: 'Signal', pod, container: 'worker',
      signal: 'SIGKILL' })[0];
    assert.ok(kill, `no SIGKILL for the worker\n${scenario.dump()}`);
    const killAfterMs = kill.t - terminating.t;
    assert.ok(killAfterMs >= (GRACE_SECONDS - 1) * 1000 && killAfterMs < BOUND_MS,
      `SIGKILL ${killAfterMs} ms after deletion\n${scenario.dump()}`);
    assert.deepEqual(scenario.completedTasks(), []);
    assert.deepEqual(scenario.linesWhere({ event: 'fixture.task_completed' }), []);

    const warnings = scenario.linesWhere({ pod, container: 'drainwatch', level: 'warn' })
      .map((l) => l.event);
    assert.ok(warnings.includes('prestop.timeout'), scenario.dump());
    assert.ok(warnings.includes('drain.timeout'), scenario.dump());
    const released = scenario.linesWhere({ pod, event: 'sidecar.released' })[0];
    assert.equal(released?.reason, 'drain-timeout', scenario.dump());
    assert.equal(released?.tasksCutOff, 1, scenario.dump());
    const sidecarExit = scenario.eventsWhere({ event: 'Exited', pod, container: 'drainwatch' })[0];
    assert.equal(sidecarExit?.exitCode, 4, scenario.dump());
    assert.ok(sidecarExit.t < kill.t, 'the sidecar reports before the kubelet kills');
  });

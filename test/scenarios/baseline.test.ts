// Scenario 11: the shell pattern as a baseline. The same rolling update (two replicas, one
// worker busy, one idle) runs on the shell-loop Deployment (test/fixtures/scenario-shell-
// pattern.yaml) and on k8s/classic, side by side. Both must finish the task with nothing killed;
// the times are printed and written to dist/test-results/baseline.{json,md}, or, with
// DRAINWATCH_RECORD_RESULTS=1, to the committed test/scenarios/results/ for the README; they are
// not asserted. Patched on both: --timeout=5s, the worker's receive timeout (1m in the manifests),
// which bounds how long an idle shell-loop pod lingers, so the suite stays short.

import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';

import { ROOT } from '../helpers.js';
import type { K8sObject } from '../k8s/render.js';
import { parseObjects } from '../k8s/render.js';
import {
  containerOf, render, runningPods, setReplicas, skip, startScenario, type ParsedLine,
  type Scenario,
} from './support.js';

// A test run leaves the tracked copy alone unless asked to record a new one.
const RESULTS = process.env.DRAINWATCH_RECORD_RESULTS === '1'
  ? join(ROOT, 'test', 'scenarios', 'results')
  : join(ROOT, 'dist', 'test-results');

interface PatternTimes {
  pattern: string;
  /** Deletion to gone, per idle old pod. */
  idleDeletionToGoneMs: number[];
  busyDeletionToGoneMs: number;
  /** The end of the busy pod's task to the pod gone. */
  busyTaskEndToGoneMs: number;
}

async function rollOutWithBusyWorker(
  scenario: Scenario,
  pattern: string,
  drainBegan: (pod: string) => Promise<unknown>,
): Promise<PatternTimes> {
  await scenario.waitEvent({ event: 'RolloutComplete', revision: 1 });
  const release = join(scenario.dir, 'release-task');
  scenario.publish({ id: `${pattern}-task`, releaseFile: release });
  const { pod: busyPod } = await scenario.waitLine({ event: 'fixture.task_started' });
  const oldPods = runningPods(scenario);

  scenario.simulation.rollout();
  await scenario.waitEvent({ event: 'PodTerminating', pod: busyPod });
  await drainBegan(busyPod);
  await writeFile(release, '');
  const completed: ParsedLine = await scenario.waitLine({ event: 'fixture.task_completed' });
  await Promise.all(oldPods.map((pod) => scenario.waitEvent({ event: 'PodDeleted', pod })));

  assert.equal(completed.pod, busyPod);
  assert.deepEqual(scenario.completedTasks(), [`${pattern}-task`]);
  assert.deepEqual(scenario.eventsWhere({ event: 'Signal', signal: 'SIGKILL' }), [],
    scenario.dump());
  const gone = scenario.eventsWhere({ event: 'PodDeleted', pod: busyPod })[0]!;
  return {
    pattern,
    idleDeletionToGoneMs: oldPods.filter((p) => p !== busyPod)
      .map((p) => scenario.terminationMs(p)),
    busyDeletionToGoneMs: scenario.terminationMs(busyPod),
    busyTaskEndToGoneMs: gone.t - completed.t,
  };
}

function withShortTimeout(objects: K8sObject[]): K8sObject[] {
  const worker = containerOf(objects, 'worker');
  worker.command = worker.command?.map((word) => word.replace('--timeout=1m', '--timeout=5s'));
  return objects;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}

function markdown(results: PatternTimes[]): string {
  const rows = results.map((r) => `| ${r.pattern} | ${r.idleDeletionToGoneMs.map(seconds)
    .join(', ')} | ${seconds(r.busyTaskEndToGoneMs)} | ${seconds(r.busyDeletionToGoneMs)} |`);
  return [
    '# Rolling update: shell loops versus drainwatch',
    '',
    'Written by test/scenarios/baseline.test.ts (one run in the pod emulator, two replicas, one',
    'busy and one idle old pod, worker receive timeout 5 s). Times vary from run to run; the',
    'busy pod\'s deletion-to-gone time includes however long the test held its task. With the',
    'manifests\' 1m receive timeout, an idle shell-loop pod lingers for up to a minute.',
    '',
    '| pattern | idle old pod: deletion to gone | busy old pod: task end to gone | ' +
      'busy old pod: deletion to gone |',
    '| --- | --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
}

test('the shell pattern and drainwatch both finish the task; their times are recorded',
  { skip }, async (t) => {
    const shellText = await readFile(join(ROOT, 'test', 'fixtures',
      'scenario-shell-pattern.yaml'), 'utf8');
    const shellObjects = parseObjects(shellText, 'scenario-shell-pattern.yaml');
    const drainwatchObjects = withShortTimeout(await render('classic'));
    setReplicas(drainwatchObjects, 2);
    const [shell, drainwatch] = await Promise.all([
      startScenario(t, shellObjects),
      startScenario(t, drainwatchObjects),
    ]);

    const results = await Promise.all([
      rollOutWithBusyWorker(shell, 'shell loops', (pod) => shell.waitEvent({
        event: 'PreStopHookSucceeded', pod, container: 'worker' })),
      rollOutWithBusyWorker(drainwatch, 'drainwatch', (pod) => drainwatch.waitLine({
        pod, event: 'drain.started' })),
    ]);

    await mkdir(RESULTS, { recursive: true });
    await writeFile(join(RESULTS, 'baseline.json'), `${JSON.stringify(results, null, 2)}\n`);
    await writeFile(join(RESULTS, 'baseline.md'), markdown(results));
    t.diagnostic(markdown(results));
  });

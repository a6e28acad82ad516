// Runs the rendered manifests as they are in the pod emulator (podsim), with the real sidecar
// and shim on PATH and a stand-in `queue-worker` whose every run is one task of about a second.
// A pod deleted while its worker is in a task must end that task, release the sidecar and go,
// all long before the 3600 s grace period, with no SIGKILL.

import assert from 'node:assert/strict';
import { chmod, copyFile, mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';

import { Simulation, type PodsimEvent } from '../../podsim/index.js';
import { ROOT, SHIM_BIN, SIDECAR_BIN, tempDir } from '../helpers.js';
import { kubectlMissingReason, renderKustomization } from './render.js';

const BOUND_MS = 60_000;
const namespaces = Simulation.namespacesUnavailableReason();
const skip =
  (await kubectlMissingReason()) ?? (namespaces && `needs per-pod namespaces: ${namespaces}`);

/** One task per run; the lines are the handshake with the test. */
const QUEUE_WORKER = `#!/bin/sh
echo "queue-worker: task started $$"
sleep 1
echo "queue-worker: task done $$"
`;

/** PATH directories with the programs the manifests call by name. */
async function binDirs(t: TestContext): Promise<string[]> {
  const root = await tempDir(t, 'drainwatch-k8s-bin-');
  const bin = join(root, 'bin');
  const installer = join(root, 'installer');
  await mkdir(bin);
  await mkdir(installer);
  await chmod(SIDECAR_BIN, 0o755);
  await chmod(SHIM_BIN, 0o755);
  await symlink(SIDECAR_BIN, join(bin, 'drainwatch-sidecar'));
  await symlink(SHIM_BIN, join(bin, 'drainwatch-shim'));
  await writeFile(join(bin, 'queue-worker'), QUEUE_WORKER, { mode: 0o755 });
  // The no-node variant's installer copies the drainwatch-shim that sits beside it. Here that
  // is a wrapper of the Node shim (the SEA build has its own test, test/image/sea.test.ts).
  const script = join(installer, 'drainwatch-install-shim');
  await copyFile(join(ROOT, 'scripts', 'sea-install-shim.sh'), script);
  await chmod(script, 0o755);
  const wrapper = `#!/bin/sh\nexec ${process.execPath} ${SHIM_BIN} "$@"\n`;
  await writeFile(join(installer, 'drainwatch-shim'), wrapper, { mode: 0o755 });
  return [bin, installer];
}

interface Run {
  simulation: Simulation;
  output: string[];
}

async function start(t: TestContext, variant: string): Promise<Run> {
  const objects = await renderKustomization(join(ROOT, 'k8s', variant));
  for (const o of objects) {
    const spec = o.spec as { replicas?: number } | undefined;
    if (o.kind === 'Deployment' && spec?.replicas !== undefined) spec.replicas = 1;
  }
  const workloads = objects.filter((o) => o.kind === 'Deployment' || o.kind === 'Job');
  const simulation = new Simulation({
    bins: await binDirs(t),
    hostPath: process.env.PATH ?? '',
  });
  t.after(() => simulation.stop());
  const output: string[] = [];
  simulation.onLog((l) => output.push(`${l.container}: ${l.line}`));
  simulation.loadText(workloads.map((o) => JSON.stringify(o)).join('\n---\n'), variant);
  await simulation.start();
  return { simulation, output };
}

function describe(run: Run): string {
  const events = run.simulation.log.events.map((e) => JSON.stringify(e));
  return `--- events ---\n${events.join('\n')}\n--- output ---\n${run.output.join('\n')}`;
}

function has(events: readonly PodsimEvent[], fields: Record<string, unknown>): boolean {
  return events.some((e) => Object.entries(fields).every(([k, v]) => e[k] === v));
}

/** Waits (bounded) until some container printed a line containing `text`. */
function waitOutput(run: Run, text: string): Promise<void> {
  if (run.output.some((l) => l.includes(text))) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`no output "${text}" within ${BOUND_MS} ms\n${describe(run)}`));
    }, BOUND_MS);
    const stop = run.simulation.onLog((l) => {
      if (!l.line.includes(text)) return;
      clearTimeout(timer);
      stop();
      resolve();
    });
  });
}

function assertCleanRelease(run: Run): void {
  const events = run.simulation.log.events;
  const detail = describe(run);
  assert.ok(has(events, { event: 'PodPhase', phase: 'Succeeded' }), detail);
  assert.ok(has(events, { event: 'Exited', container: 'drainwatch', exitCode: 0 }), detail);
  assert.ok(!has(events, { event: 'Signal', signal: 'SIGKILL' }), detail);
  const started = run.output.filter((l) => l.includes('task started')).length;
  const done = run.output.filter((l) => l.includes('task done')).length;
  assert.equal(done, started, `a task was cut off\n${detail}`);
}

for (const variant of ['classic', 'native', 'no-node', 'marker-only']) {
  test(`the ${variant} variant lets a deleted pod finish its task and go at once`,
    { skip }, async (t) => {
      const run = await start(t, variant);
      // Deleted only once the sidecar serves /prestop and a task is under way: a hook that
      // finds no listener fails, and the kubelet then signals at once.
      await waitOutput(run, '"event":"http.listening"');
      await waitOutput(run, 'task started');
      await run.simulation.deleteAll();
      await run.simulation.waitAllGone(BOUND_MS);
      assertCleanRelease(run);
    });
}

test('the job variant completes with its sidecar gone and no deletion', { skip }, async (t) => {
  const run = await start(t, 'job');
  await run.simulation.waitFor((e) => e.event === 'JobComplete', 'JobComplete', BOUND_MS);
  await run.simulation.waitAllGone(BOUND_MS);
  assertCleanRelease(run);
  assert.ok(!has(run.simulation.log.events, { event: 'PodTerminating' }), describe(run));
});

// Renders every variant under k8s/ with the real kubectl and validates what it prints, then
// breaks copies of the manifests and checks that each break is caught by name.

import assert from 'node:assert/strict';
import { cp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';

import { ROOT, tempDir } from '../helpers.js';
import { kubectlMissingReason, renderKustomization, type K8sObject } from './render.js';
import { ManifestValidator } from './validate.js';

const K8S = join(ROOT, 'k8s');
const VARIANTS = ['classic', 'native', 'job', 'keda', 'hpa', 'no-node', 'marker-only'];
const skip = await kubectlMissingReason();

/** A test that needs kubectl; skipped, with the reason, where kubectl cannot run. */
function k8sTest(title: string, fn: (t: TestContext) => Promise<void>): void {
  test(title, { skip }, fn);
}

let validator: ManifestValidator | undefined;
function validate(objects: readonly K8sObject[]): string[] {
  validator ??= new ManifestValidator();
  return validator.validate(objects);
}

type Json = Record<string, any>;

async function render(variant: string): Promise<Json[]> {
  return (await renderKustomization(join(K8S, variant))) as Json[];
}

function only(objects: Json[], kind: string): Json {
  const found = objects.filter((o) => o.kind === kind);
  assert.equal(found.length, 1, `expected one ${kind}, got ${found.length}`);
  return found[0]!;
}

function container(pod: Json, name: string): Json {
  const all = [...(pod.containers ?? []), ...(pod.initContainers ?? [])];
  const found = all.find((c: Json) => c.name === name);
  assert.ok(found, `no container ${name}`);
  return found;
}

function env(c: Json, name: string): string | undefined {
  return c.env?.find((e: Json) => e.name === name)?.value;
}

/** Asserts that some problem contains every one of the fragments. */
function assertProblem(problems: string[], ...fragments: string[]): void {
  assert.ok(
    problems.some((p) => fragments.every((f) => p.includes(f))),
    `no problem mentions ${fragments.map((f) => `"${f}"`).join(' and ')}; got:\n` +
      problems.join('\n'),
  );
}

for (const variant of VARIANTS) {
  k8sTest(`the ${variant} variant renders and passes every check`, async () => {
    const objects = await render(variant);
    assert.ok(objects.length > 0);
    assert.deepEqual(validate(objects as K8sObject[]), []);
  });
}

k8sTest('the classic variant runs the coordinator as a container beside the shim', async () => {
  const pod = only(await render('classic'), 'Deployment').spec.template.spec;
  assert.deepEqual(pod.containers.map((c: Json) => c.name), ['worker', 'drainwatch']);
  assert.equal(pod.initContainers, undefined);
  const worker = container(pod, 'worker');
  assert.equal(worker.command[0], 'drainwatch-shim');
  assert.equal(env(worker, 'DRAINWATCH_RESTART_POLICY'), 'Always');
  assert.equal(pod.volumes[0].emptyDir.medium, 'Memory');
});

k8sTest('the native variant makes the coordinator a startup-probed init container', async () => {
  const pod = only(await render('native'), 'Deployment').spec.template.spec;
  assert.deepEqual(pod.containers.map((c: Json) => c.name), ['worker']);
  const sidecar = container(pod, 'drainwatch');
  assert.equal(sidecar.restartPolicy, 'Always');
  assert.equal(sidecar.startupProbe.httpGet.path, '/healthz');
  assert.equal(sidecar.lifecycle.preStop.httpGet.path, '/prestop');
});

k8sTest('the job variant tells the shim that the pod never restarts', async () => {
  const job = only(await render('job'), 'Job');
  assert.equal(job.spec.template.spec.restartPolicy, 'Never');
  assert.equal(typeof job.spec.backoffLimit, 'number');
  const worker = container(job.spec.template.spec, 'worker');
  assert.equal(env(worker, 'DRAINWATCH_RESTART_POLICY'), 'Never');
});

k8sTest('the autoscaled variants leave the replica count to the autoscaler', async () => {
  const keda = await render('keda');
  assert.equal(only(keda, 'Deployment').spec.replicas, undefined);
  assert.equal(only(keda, 'ScaledObject').spec.triggers[0].type, 'rabbitmq');
  const hpa = await render('hpa');
  assert.equal(only(hpa, 'Deployment').spec.replicas, undefined);
  assert.equal(only(hpa, 'HorizontalPodAutoscaler').spec.metrics[0].type, 'External');
});

k8sTest('the no-node variant runs the shim copied by an init container', async () => {
  const pod = only(await render('no-node'), 'Deployment').spec.template.spec;
  const install = container(pod, 'install-shim');
  assert.deepEqual(install.command, ['drainwatch-install-shim', '/drainwatch/bin']);
  assert.equal(container(pod, 'worker').command[0], '/drainwatch/bin/drainwatch-shim');
});

k8sTest('the marker-only variant runs no shim and keeps the shared directory', async () => {
  const pod = only(await render('marker-only'), 'Deployment').spec.template.spec;
  const worker = container(pod, 'worker');
  assert.ok(!worker.command.some((w: string) => w.includes('drainwatch-shim')));
  assert.match(worker.command.at(-1), /touch "\$dir\/kill_sidecar"/);
  assert.equal(env(worker, 'DRAINWATCH_RESTART_POLICY'), undefined);
});

k8sTest('a base copy with an unknown field is rejected, naming object and field', async (t) => {
  const dir = await tempDir(t, 'drainwatch-k8s-');
  await cp(K8S, join(dir, 'k8s'), { recursive: true });
  const file = join(dir, 'k8s', 'base', 'deployment.yaml');
  const text = await readFile(file, 'utf8');
  assert.ok(text.includes('\n  revisionHistoryLimit: 5\n'));
  await writeFile(file, text.replace('\n  revisionHistoryLimit: 5\n', '\n  replicaz: 5\n'));
  const problems = validate(await renderKustomization(join(dir, 'k8s', 'classic')));
  assertProblem(problems, 'Deployment/queue-worker', 'spec.replicaz', 'unknown field');
});

async function broken(variant: string, edit: (o: Json[]) => void): Promise<string[]> {
  const objects = structuredClone(await render(variant));
  edit(objects);
  return validate(objects as K8sObject[]);
}

const podOf = (objects: Json[]) => only(objects, 'Deployment').spec.template.spec;

k8sTest('a preStop hook aimed at a port other than the coordinator is rejected', async () => {
  const problems = await broken('classic', (o) => {
    container(podOf(o), 'worker').lifecycle.preStop.httpGet.port = 9798;
  });
  const field = 'containers[0].lifecycle.preStop.httpGet.port';
  assertProblem(problems, 'Deployment/queue-worker', field, '9798');
});

k8sTest('a named port that the hook container does not declare is rejected', async () => {
  const problems = await broken('classic', (o) => {
    container(podOf(o), 'worker').lifecycle.preStop.httpGet.port = 'drainwatch';
  });
  const field = 'containers[0].lifecycle.preStop.httpGet.port';
  assertProblem(problems, field, 'named port "drainwatch"');
});

k8sTest('a probe that calls /prestop is rejected because it would start a drain', async () => {
  const problems = await broken('classic', (o) => {
    container(podOf(o), 'drainwatch').readinessProbe.httpGet.path = '/prestop';
  });
  assertProblem(problems, 'containers[1].readinessProbe.httpGet.path', 'would start a drain');
});

k8sTest('a volume mount naming a missing volume is rejected', async () => {
  const problems = await broken('classic', (o) => {
    podOf(o).volumes = [];
  });
  const field = 'containers[0].volumeMounts[0].name';
  assertProblem(problems, 'Deployment/queue-worker', field, 'names no volume');
});

k8sTest('a worker whose DRAINWATCH_DIR differs from the coordinator is rejected', async () => {
  const problems = await broken('classic', (o) => {
    const worker = container(podOf(o), 'worker');
    worker.env.find((e: Json) => e.name === 'DRAINWATCH_DIR').value = '/tmp/other';
  });
  assertProblem(problems, 'containers[0].env.DRAINWATCH_DIR', '/tmp/other', '/tmp/share');
});

k8sTest('a grace period shorter than a drain bound is rejected', async () => {
  const problems = await broken('classic', (o) => {
    podOf(o).terminationGracePeriodSeconds = 60;
  });
  const field = 'terminationGracePeriodSeconds';
  assertProblem(problems, 'Deployment/queue-worker', field, 'DRAINWATCH_DRAIN_TIMEOUT');
  assertProblem(problems, 'terminationGracePeriodSeconds', 'DRAINWATCH_PRESTOP_TIMEOUT');
});

k8sTest('a restart policy that the shim is not told is rejected', async () => {
  const problems = await broken('job', (o) => {
    const worker = container(only(o, 'Job').spec.template.spec, 'worker');
    worker.env.find((e: Json) => e.name === 'DRAINWATCH_RESTART_POLICY').value = 'Always';
  });
  assertProblem(problems, 'Job/queue-batch', 'DRAINWATCH_RESTART_POLICY', 'is Always', 'Never');
});

k8sTest('a native sidecar without a startup probe is rejected', async () => {
  const problems = await broken('native', (o) => {
    delete container(podOf(o), 'drainwatch').startupProbe;
  });
  assertProblem(problems, 'initContainers[0].startupProbe', 'is missing');
});

k8sTest('a probe that leaves a threshold to its default is rejected', async () => {
  const problems = await broken('classic', (o) => {
    delete container(podOf(o), 'drainwatch').livenessProbe.failureThreshold;
  });
  assertProblem(problems, 'containers[1].livenessProbe', 'failureThreshold');
});

k8sTest('a wrongly typed field is rejected by the Kubernetes schema', async () => {
  const problems = await broken('classic', (o) => {
    only(o, 'Deployment').spec.replicas = 'three';
  });
  assertProblem(problems, 'Deployment/queue-worker', 'spec.replicas', 'must be integer');
});

k8sTest('a ScaledObject with an unknown field and no triggers is rejected', async () => {
  const problems = await broken('keda', (o) => {
    const scaled = only(o, 'ScaledObject');
    scaled.spec.minReplicas = 1;
    delete scaled.spec.triggers;
  });
  assertProblem(problems, 'ScaledObject/queue-worker', 'spec.minReplicas', 'unknown field');
  assertProblem(problems, 'ScaledObject/queue-worker', 'missing required field "triggers"');
});

k8sTest('a TriggerAuthentication naming a missing Secret key is rejected', async () => {
  const problems = await broken('keda', (o) => {
    only(o, 'TriggerAuthentication').spec.secretTargetRef[0].key = 'url';
  });
  const owner = 'TriggerAuthentication/queue-worker-rabbitmq';
  assertProblem(problems, owner, 'secretTargetRef[0].key', '"url"');
});

k8sTest('an autoscaled Deployment that still sets replicas is rejected', async () => {
  const problems = await broken('hpa', (o) => {
    only(o, 'Deployment').spec.replicas = 3;
  });
  const owner = 'HorizontalPodAutoscaler/queue-worker';
  assertProblem(problems, 'Deployment/queue-worker', 'spec.replicas', owner);
});

// The benchmark's drainwatch manifests (c, d) stay the reference manifests of k8s/, apart from
// the changes they mark BENCH; the others fit a run the way the benchmark needs.

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';

import { parseDocument } from 'yaml';

import {
  configuration, fittedManifest, type ConfigurationName,
} from '../../bench/rollout-configurations.js';
import { ROOT } from '../helpers.js';
import { kubectlMissingReason, renderKustomization, type K8sObject } from '../k8s/render.js';

const MANIFESTS = join(ROOT, 'bench', 'manifests');
const kubectlMissing = (await kubectlMissingReason()) ?? false;

interface Container {
  name: string;
  readinessProbe?: { periodSeconds?: number };
}
interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
}

async function benchDeployment(name: ConfigurationName): Promise<K8sObject> {
  const text = await readFile(join(MANIFESTS, configuration(name).manifest), 'utf8');
  return parseDocument(text).toJS() as K8sObject;
}

/** The rendered reference with the one change the bench manifests make (and say so). */
async function referenceWithBenchChanges(variant: string): Promise<K8sObject> {
  const rendered = await renderKustomization(join(ROOT, 'k8s', variant));
  const deployment = rendered.find((o) => o.kind === 'Deployment');
  assert.ok(deployment, `k8s/${variant} renders no Deployment`);
  // Added by the kustomization's labels transformer, not part of the Deployment's own file.
  const metadata = deployment.metadata as { labels: Record<string, string> };
  delete metadata.labels['app.kubernetes.io/part-of'];
  const spec = (deployment.spec as { template: { spec: PodSpec } }).template.spec;
  const sidecar = [...spec.containers, ...(spec.initContainers ?? [])]
    .find((c) => c.name === 'drainwatch');
  assert.ok(sidecar?.readinessProbe, `k8s/${variant}: the drainwatch container has no readiness`);
  sidecar.readinessProbe.periodSeconds = 1;
  return deployment;
}

for (const [name, variant] of [['c', 'classic'], ['d', 'native']] as const) {
  test(`bench manifest ${name} equals the rendered k8s/${variant} but for its BENCH changes`,
    { skip: kubectlMissing }, async () => {
      assert.deepEqual(await benchDeployment(name), await referenceWithBenchChanges(variant));
    });
}

test('fitting a manifest sets the replicas and the variables the bench controls', async () => {
  const fitted = JSON.parse(await fittedManifest(MANIFESTS, configuration('b'), 4,
    { WORKER_WAIT_TIMEOUT: '7s' })) as { spec: { replicas: number; template: { spec: {
      containers: Array<{ env?: Array<{ name: string; value?: string }> }>;
    } } } };
  assert.equal(fitted.spec.replicas, 4);
  const env = fitted.spec.template.spec.containers.flatMap((c) => c.env ?? []);
  assert.deepEqual(env.filter((v) => v.name === 'WORKER_WAIT_TIMEOUT').map((v) => v.value),
    ['7s']);
});

test('every bench manifest holds one Deployment named queue-worker', async () => {
  for (const name of ['a', 'b', 'c', 'd'] as const) {
    const deployment = await benchDeployment(name);
    assert.equal(deployment.kind, 'Deployment', name);
    assert.equal((deployment.metadata as { name: string }).name, 'queue-worker', name);
  }
});

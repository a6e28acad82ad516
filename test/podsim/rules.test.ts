import assert from 'node:assert/strict';
import { test } from 'node:test';

import { deletionGrace, kubeletGrace } from '../../podsim/grace.js';
import {
  containerArgv, expandReferences, lookupImage, parseImageFlag,
} from '../../podsim/images.js';
import { parseManifests } from '../../podsim/manifest.js';
import { templateHash } from '../../podsim/names.js';
import { resolveRollingLimits } from '../../podsim/rollout-math.js';

const images = new Map([parseImageFlag('ghcr.io/acme/worker:2.1=node worker.js --fast')]);

test('a container with command runs command and args and ignores the image', () => {
  const argv = containerArgv({ name: 'a', image: 'unmapped', command: ['shim', '--'],
    args: ['x'] }, images, 'test');
  assert.deepEqual(argv, ['shim', '--', 'x']);
});

test('a container with args only runs the image entrypoint with those args', () => {
  const argv = containerArgv({ name: 'a', image: 'ghcr.io/acme/worker:2.1', args: ['b.js'] },
    images, 'test');
  assert.deepEqual(argv, ['node', 'b.js']);
});

test('a container with neither runs the whole image command line', () => {
  const argv = containerArgv({ name: 'a', image: 'ghcr.io/acme/worker:2.1' }, images, 'test');
  assert.deepEqual(argv, ['node', 'worker.js', '--fast']);
});

test('image names match with or without tag and registry', () => {
  const short = new Map([parseImageFlag('worker=run')]);
  assert.ok(lookupImage(short, 'ghcr.io/acme/worker:2.1'));
  assert.ok(lookupImage(short, 'worker@sha256:abc'));
  assert.ok(lookupImage(images, 'ghcr.io/acme/worker:3.0'));
  assert.equal(lookupImage(short, 'ghcr.io/acme/other:1'), undefined);
});

test('an unmapped image is an error naming the image and the flag', () => {
  assert.throws(() => containerArgv({ name: 'a', image: 'nginx:1.27' }, images, 'Pod "p"'),
    /image "nginx:1\.27".*--image "nginx:1\.27=COMMAND LINE"/s);
});

test('$(VAR) references expand from the environment and $$ escapes', () => {
  assert.equal(expandReferences('$(A)-$(MISSING)-$$(A)', { A: '1' }), '1-$(MISSING)-$(A)');
});

test('maxSurge rounds up and maxUnavailable rounds down', () => {
  assert.deepEqual(resolveRollingLimits(undefined, undefined, 3, 'd'),
    { surge: 1, unavailable: 0 });
  assert.deepEqual(resolveRollingLimits('50%', '50%', 3, 'd'), { surge: 2, unavailable: 1 });
  assert.deepEqual(resolveRollingLimits(0, 0, 3, 'd'), { surge: 0, unavailable: 1 });
  assert.throws(() => resolveRollingLimits('lots', 0, 3, 'd'), /"lots" is not a whole number/);
});

test('the grace comes from the delete option, else the spec, and is never below 1', () => {
  assert.equal(kubeletGrace(deletionGrace(undefined, undefined)), 30);
  assert.equal(kubeletGrace(deletionGrace(45, undefined)), 45);
  assert.equal(kubeletGrace(deletionGrace(45, 5)), 5);
  assert.equal(kubeletGrace(deletionGrace(45, 0)), 1);
  assert.equal(kubeletGrace(deletionGrace(0, undefined)), 1);
});

test('manifests keep Pods, Deployments and Jobs and list other kinds as ignored', () => {
  const loaded = parseManifests(`
kind: ConfigMap
metadata: {name: c}
---
kind: Pod
metadata: {name: p}
spec: {containers: [{name: a, command: [x]}]}
`);
  assert.equal(loaded.workloads.length, 1);
  assert.deepEqual(loaded.ignored, [{ kind: 'ConfigMap', name: 'c' }]);
});

test('a manifest error names the document, the field and the fix', () => {
  assert.throws(() => parseManifests('kind: Pod\nmetadata: {name: p}\nspec: {containers: []}\n',
    'f.yaml'), /f\.yaml document 1 \(Pod "p"\) spec: containers must be a non-empty list/);
  assert.throws(() => parseManifests(`
kind: Pod
metadata: {name: p}
spec:
  volumes: [{name: v, hostPath: {path: /x}}]
  containers: [{name: a, command: [x], volumeMounts: [{name: v, mountPath: /v}]}]
`), /volume "v" is not an emptyDir/);
});

test('the template hash is stable and uses the safe alphabet', () => {
  const hash = templateHash({ spec: { containers: [{ name: 'a' }] } });
  assert.equal(hash, templateHash({ spec: { containers: [{ name: 'a' }] } }));
  assert.match(hash, /^[bcdfghjklmnpqrstvwxz2456789]+$/);
});

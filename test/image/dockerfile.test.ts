// Parses the real Dockerfile and checks the rules an image for Kubernetes must keep; then
// breaks copies of it to show each rule is enforced by name.

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';

import { ROOT } from '../helpers.js';
import { checkContext, checkDockerfile } from './dockerfile-rules.js';

const dockerfile = await readFile(join(ROOT, 'Dockerfile'), 'utf8');
const dockerignore = await readFile(join(ROOT, '.dockerignore'), 'utf8');

function broken(from: string, to: string): string[] {
  assert.ok(dockerfile.includes(from), `the Dockerfile lacks ${JSON.stringify(from)}`);
  return checkDockerfile(dockerfile.replace(from, to));
}

function assertProblem(problems: string[], fragment: string): void {
  assert.ok(
    problems.some((p) => p.includes(fragment)),
    `no problem mentions "${fragment}"; got:\n${problems.join('\n')}`,
  );
}

test('the Dockerfile parses, lints clean and keeps every image rule', () => {
  assert.deepEqual(checkDockerfile(dockerfile), []);
});

test('every file the Dockerfile copies from the context passes .dockerignore', () => {
  assert.deepEqual(checkContext(dockerfile, dockerignore), []);
});

test('a COPY of a file that .dockerignore excludes is reported', () => {
  const problems = checkContext(`${dockerfile}\nCOPY docs/ /docs/\n`, dockerignore);
  assertProblem(problems, 'COPY docs/ is excluded by .dockerignore');
});

test('a runtime stage without a non-root numeric USER is rejected', () => {
  assertProblem(broken('USER 10001:10001', 'USER drainwatch'), 'must be a non-zero numeric uid');
  assertProblem(broken('USER 10001:10001', 'USER 0'), 'must be a non-zero numeric uid');
  assertProblem(broken('USER 10001:10001\n', ''), 'no USER');
});

test('a shell-form ENTRYPOINT or CMD is rejected', () => {
  assertProblem(broken('ENTRYPOINT ["tini", "--"]', 'ENTRYPOINT tini --'), 'ENTRYPOINT must be');
  assertProblem(broken('CMD ["drainwatch-sidecar"]', 'CMD drainwatch-sidecar'), 'CMD must be');
});

test('a missing STOPSIGNAL, EXPOSE or OCI label is rejected', () => {
  assertProblem(broken('STOPSIGNAL SIGTERM\n', ''), 'STOPSIGNAL SIGTERM is missing');
  assertProblem(broken('EXPOSE 9797\n', ''), 'EXPOSE 9797 is missing');
  const label = 'org.opencontainers.image.licenses="Apache-2.0" \\\n      ';
  assertProblem(broken(label, ''), 'LABEL org.opencontainers.image.licenses is missing');
});

test('npm packages or node_modules in the runtime stage are rejected', () => {
  const install = broken('USER 10001:10001', 'RUN npm ci --omit=dev\nUSER 10001:10001');
  assertProblem(install, 'installs npm packages in the runtime stage');
  const bundles = 'COPY --from=build /src/dist/bundle/ /opt/drainwatch/';
  const copied = broken(bundles, 'COPY --from=build /src/node_modules ./node_modules');
  assertProblem(copied, 'copies node_modules from another stage');
  assertProblem(copied, 'the bundles (dist/bundle/) are not copied');
});

test('a runtime stage without tini or the symlinks to the bundles is rejected', () => {
  assertProblem(broken('--no-install-recommends tini', '--no-install-recommends curl'), 'tini');
  const link = 'ln -s /opt/drainwatch/drainwatch-shim.cjs /usr/local/bin/drainwatch-shim';
  assertProblem(broken(link, 'true'), 'no symlink /usr/local/bin/drainwatch-shim');
  const unbundled = 'ln -s /opt/drainwatch/dist/sidecar/main.js /usr/local/bin/drainwatch-sidecar';
  const bundled = 'ln -s /opt/drainwatch/drainwatch-sidecar.cjs /usr/local/bin/drainwatch-sidecar';
  assertProblem(broken(bundled, unbundled),
    'points at /opt/drainwatch/dist/sidecar/main.js, not the bundle');
});

test('a base image other than the pinned node tag is rejected', () => {
  const problems = broken('FROM node:20-bookworm-slim AS runtime', 'FROM node:latest AS runtime');
  assertProblem(problems, 'starts FROM node:latest');
});

test('a syntax error found by dockerfile-utils is reported with its line', () => {
  assertProblem(broken('EXPOSE 9797', 'EXPOSE abc'), 'dockerfile-utils');
});

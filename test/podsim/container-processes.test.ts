import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import { cgroup2Mount } from '../../podsim/container-cgroup.js';
import {
  BOUND_MS, dump, skipWithoutNamespaces as skip, startSimulation, waitEvent, waitLogLine,
} from './support.js';

/** A `sleep` argument no other test uses, to find this test's grandchild in /proc. */
function uniqueSeconds(): string {
  return String(400_000 + Math.floor(Math.random() * 500_000));
}

/** Host pids of live processes whose command line is exactly `sleep <seconds>`. */
function sleepers(seconds: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // A zombie (killed, not reaped yet) has an empty command line: it is not live.
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8') === `sleep\0${seconds}\0`) {
        found.push(Number(entry));
      }
    } catch {
      // The process ended while we looked.
    }
  }
  return found;
}

async function waitSleepers(seconds: string, wanted: (count: number) => boolean, what: string) {
  const deadline = Date.now() + BOUND_MS;
  for (;;) {
    const count = sleepers(seconds).length;
    if (wanted(count)) return;
    if (Date.now() > deadline) throw new Error(`${what}: ${count} "sleep ${seconds}" processes`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Starts `sleep <seconds>` in a new session (setsid), then runs `rest`. */
function leaver(seconds: string, rest: string): string {
  return `["sh", "-c", "setsid -f sleep ${seconds}; echo detached; ${rest}"]`;
}

test('SIGKILL of a container\'s main process kills its processes in other sessions', { skip },
  async (t) => {
    const seconds = uniqueSeconds();
    const manifest = `
apiVersion: v1
kind: Pod
metadata: {name: leaver}
spec:
  restartPolicy: Never
  containers:
  - name: app
    image: x
    command: ${leaver(seconds, 'exec sleep 1000')}
`;
    const simulation = await startSimulation(t, manifest);
    await waitLogLine(simulation, 'detached');
    await waitSleepers(seconds, (n) => n === 1, 'the detached grandchild never ran');
    const started = simulation.log.events.find((e) => e.event === 'Started');
    assert.equal(typeof started?.pid, 'number', dump(simulation.log.events));

    process.kill(started!.pid as number, 'SIGKILL');

    await waitEvent(simulation, { event: 'Exited', container: 'app', exitCode: 137 });
    await waitSleepers(seconds, (n) => n === 0, 'the grandchild outlived its container');
    assert.equal(simulation.pod('leaver').gone, false, 'the pod itself still exists');
  });

test('a container whose main process exits leaves no process behind', { skip }, async (t) => {
  const seconds = uniqueSeconds();
  const dir = mkdtempSync(join(tmpdir(), 'podsim-quitter-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const manifest = `
apiVersion: v1
kind: Pod
metadata: {name: quitter}
spec:
  restartPolicy: Never
  containers:
  - name: app
    image: x
    command: ${leaver(seconds, `while [ ! -e ${dir}/go ]; do sleep 0.05; done; exit 0`)}
`;
  const simulation = await startSimulation(t, manifest);
  await waitLogLine(simulation, 'detached');
  await waitSleepers(seconds, (n) => n === 1, 'the detached grandchild never ran');

  writeFileSync(join(dir, 'go'), '');

  await waitEvent(simulation, { event: 'Exited', container: 'app', exitCode: 0 });
  await waitSleepers(seconds, (n) => n === 0, 'the grandchild outlived its container');
  assert.equal(simulation.pod('quitter').gone, false, 'the pod itself still exists');
});

test('the kubelet\'s SIGKILL after the grace kills the container\'s processes in other sessions',
  { skip }, async (t) => {
    const seconds = uniqueSeconds();
    const dir = mkdtempSync(join(tmpdir(), 'podsim-stubborn-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const manifest = `
apiVersion: v1
kind: Pod
metadata: {name: stubborn-leaver}
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 1
  containers:
  - name: app
    image: x
    command: ${leaver(seconds, "trap '' TERM; while :; do sleep 0.1; done")}
    livenessProbe:
      exec: {command: ["sh", "-c", "test ! -e ${dir}/fail"]}
      periodSeconds: 1
      failureThreshold: 1
`;
    const simulation = await startSimulation(t, manifest);
    await waitLogLine(simulation, 'detached');
    await waitSleepers(seconds, (n) => n === 1, 'the detached grandchild never ran');

    writeFileSync(join(dir, 'fail'), '');

    await waitEvent(simulation, { event: 'Signal', container: 'app', signal: 'SIGKILL' });
    await waitEvent(simulation, { event: 'Exited', container: 'app', exitCode: 137 });
    await waitSleepers(seconds, (n) => n === 0, 'the grandchild outlived its container');
    assert.equal(simulation.pod('stubborn-leaver').gone, false, 'the pod itself still exists');
  });

test('the cgroup2 mount is found in hybrid and pure layouts, and its absence is reported',
  (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'podsim-mountinfo-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'mountinfo');
    const v1 = '30 25 0:26 / /sys/fs/cgroup/pids rw,relatime shared:9 - cgroup cgroup rw,pids';
    const hybrid = '31 25 0:27 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw';
    const pure = '32 24 0:28 / /sys/fs/cgroup rw,nosuid shared:4 - cgroup2 cgroup2 rw';

    writeFileSync(file, `${v1}\n${hybrid}\n`);
    assert.equal(cgroup2Mount(file), '/sys/fs/cgroup/unified');
    writeFileSync(file, `${pure}\n`);
    assert.equal(cgroup2Mount(file), '/sys/fs/cgroup');
    writeFileSync(file, `${v1}\n`);
    assert.equal(cgroup2Mount(file), undefined);
  });

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';

import { FIXTURES } from '../helpers.js';
import { startSidecar, writeMarker } from './support.js';

const IGNORES_SIGTERM = join(FIXTURES, 'sidecar-ignores-sigterm.js');
const EXITS_WITH_CODE = join(FIXTURES, 'sidecar-exits-with-code.js');

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function drainWithStubbornChild(t: TestContext, env: Record<string, string>) {
  const sidecar = await startSidecar(t, {
    args: ['--', process.execPath, IGNORES_SIGTERM],
    env: { DRAINWATCH_STOP_TIMEOUT: '300ms', ...env },
  });
  const ready = await sidecar.run.waitForEvent('fixture.ready');
  const childPid = ready.pid as number;
  t.after(() => {
    if (isAlive(childPid)) process.kill(childPid, 'SIGKILL');
  });

  sidecar.run.kill('SIGTERM');
  await sidecar.run.waitForEvent('drain.started');
  process.kill(childPid, 'SIGUSR1');
  await sidecar.run.waitForEvent('fixture.pong');
  const sigtermBeforeRelease = sidecar.run.events().includes('fixture.sigterm');
  await writeMarker(sidecar.dir);
  const exit = await sidecar.run.waitForExit();

  return { sidecar, exit, childPid, sigtermBeforeRelease };
}

test('keeps a wrapped command alive through the drain, then stops it and reports 137',
  async (t) => {
    const { sidecar, exit, childPid, sigtermBeforeRelease } = await drainWithStubbornChild(t, {});

    assert.equal(sigtermBeforeRelease, false, 'the pod SIGTERM is not forwarded');
    assert.deepEqual(exit, { code: 137, signal: null }, sidecar.run.output());
    const events = sidecar.run.events();
    assert.ok(events.indexOf('fixture.sigterm') > events.indexOf('sidecar.released'),
      sidecar.run.output());
    assert.ok(events.includes('child.force_killed'));
    assert.equal(isAlive(childPid), false);
  });

test('maps the wrapped command exit code to 0 when it is listed as a success code', async (t) => {
  const { sidecar, exit } = await drainWithStubbornChild(t,
    { DRAINWATCH_CHILD_SUCCESS_CODES: '0,137' });

  assert.deepEqual(exit, { code: 0, signal: null }, sidecar.run.output());
  const exited = sidecar.run.lines.find((l) => l.event === 'child.exited');
  assert.equal(exited?.signal, 'SIGKILL');
});

test('exits with the wrapped command code when the command dies on its own', async (t) => {
  const sidecar = await startSidecar(t, {
    args: ['--', process.execPath, EXITS_WITH_CODE, '7'],
    env: { DRAINWATCH_CHILD_SUCCESS_CODES: '0,7' },
  });
  const ready = await sidecar.run.waitForEvent('fixture.ready');

  process.kill(ready.pid as number, 'SIGUSR2');

  assert.deepEqual(await sidecar.run.waitForExit(), { code: 7, signal: null });
  const exited = sidecar.run.lines.find((l) => l.event === 'child.exited');
  assert.equal(exited?.phase, 'running');
});

test('exits 127 when the wrapped command does not exist', async (t) => {
  const sidecar = await startSidecar(t, {
    args: ['--', '/nonexistent/drainwatch-no-such-command'],
  });

  assert.deepEqual(await sidecar.run.waitForExit(), { code: 127, signal: null });
  assert.ok(sidecar.run.events().includes('child.spawn_failed'));
});

test('exits 2 when "--" is not followed by a command', async (t) => {
  const sidecar = await startSidecar(t, { args: ['--'], waitListening: false });

  assert.deepEqual(await sidecar.run.waitForExit(), { code: 2, signal: null });
  assert.ok(!sidecar.run.events().includes('http.listening'));
});

import assert from 'node:assert/strict';
import { access, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';

import { ConfigError } from '../../common/errors.js';
import { loadConfig } from '../../sidecar/config.js';
import { tempDir } from '../helpers.js';
import { startSidecar } from './support.js';

test('exits 2 naming every bad variable in one run, and binds or creates nothing', async (t) => {
  const base = await tempDir(t, 'drainwatch-sidecar-config-');
  const file = join(base, 'a-file');
  await writeFile(file, '');
  const sidecar = await startSidecar(t, {
    dir: join(file, 'share'),
    env: { DRAINWATCH_PORT: 'abc', DRAINWATCH_HEARTBEAT_TIMEOUT: '10' },
    waitListening: false,
  });

  const exit = await sidecar.run.waitForExit();

  assert.deepEqual(exit, { code: 2, signal: null }, sidecar.run.output());
  const invalid = sidecar.run.lines.find((l) => l.event === 'config.invalid');
  const detail = String(invalid?.detail);
  for (const name of ['DRAINWATCH_PORT', 'DRAINWATCH_HEARTBEAT_TIMEOUT', 'DRAINWATCH_DIR']) {
    assert.match(detail, new RegExp(`${name} is "`), `${name} is named`);
  }
  assert.match(detail, /"abc"/);
  const events = sidecar.run.events();
  for (const event of ['http.listening', 'watch.ready', 'config.loaded']) {
    assert.ok(!events.includes(event), `no ${event}`);
  }
});

test('creates a missing coordination directory and accepts every documented variable',
  async (t) => {
    const base = await tempDir(t, 'drainwatch-sidecar-config-');
    const dir = join(base, 'new', 'share');

    const config = await loadConfig({
      DRAINWATCH_DIR: dir, DRAINWATCH_MARKER: 'done', DRAINWATCH_PORT: '8080',
      DRAINWATCH_HOST: '0.0.0.0', DRAINWATCH_LOG_LEVEL: 'warn',
      DRAINWATCH_HEARTBEAT_TIMEOUT: '15s', DRAINWATCH_PRESTOP_TIMEOUT: '5m',
      DRAINWATCH_DRAIN_TIMEOUT: '1h', DRAINWATCH_PRESTOP_TOKEN: 's3cret',
      DRAINWATCH_WATCH_POLL: 'true', DRAINWATCH_POLL_INTERVAL: '250ms',
      DRAINWATCH_STOP_TIMEOUT: '20s', DRAINWATCH_CHILD_STOP_SIGNAL: 'SIGINT',
      DRAINWATCH_CHILD_SUCCESS_CODES: '0,143',
    });

    await access(dir);
    assert.equal(config.paths.marker, join(dir, 'done'));
    assert.equal(config.port, 8080);
    assert.equal(config.host, '0.0.0.0');
    assert.equal(config.heartbeatTimeoutMs, 15_000);
    assert.equal(config.prestopTimeoutMs, 300_000);
    assert.equal(config.drainTimeoutMs, 3_600_000);
    assert.equal(config.watchPoll, true);
    assert.equal(config.pollIntervalMs, 250);
    assert.equal(config.childStopSignal, 'SIGINT');
    assert.deepEqual(config.childSuccessCodes, [0, 143]);
    assert.ok(Object.isFrozen(config));
  });

test('treats "off" and "0s" as no drain timeout', async (t) => {
  const dir = await tempDir(t, 'drainwatch-sidecar-config-');

  for (const value of ['off', '0s', 'OFF', '']) {
    const config = await loadConfig({ DRAINWATCH_DIR: dir, DRAINWATCH_DRAIN_TIMEOUT: value });
    assert.equal(config.drainTimeoutMs, 0, value);
  }
});

test('rejects bad values with the variable, the value and what is expected', async (t) => {
  const dir = await tempDir(t, 'drainwatch-sidecar-config-');
  await mkdir(join(dir, 'ok'), { recursive: true });
  const cases: Array<[string, string]> = [
    ['DRAINWATCH_MARKER', 'a/b'],
    ['DRAINWATCH_MARKER', 'marker.tmp'],
    ['DRAINWATCH_PORT', '70000'],
    ['DRAINWATCH_LOG_LEVEL', 'loud'],
    ['DRAINWATCH_PRESTOP_TIMEOUT', '30'],
    ['DRAINWATCH_DRAIN_TIMEOUT', 'soon'],
    ['DRAINWATCH_WATCH_POLL', 'maybe'],
    ['DRAINWATCH_POLL_INTERVAL', '0ms'],
    ['DRAINWATCH_STOP_TIMEOUT', '-1s'],
    ['DRAINWATCH_CHILD_STOP_SIGNAL', 'SIGKILL'],
    ['DRAINWATCH_CHILD_SUCCESS_CODES', '0,300'],
  ];

  for (const [name, value] of cases) {
    const error = await loadConfig({ DRAINWATCH_DIR: join(dir, 'ok'), [name]: value }).then(
      () => undefined, (err: unknown) => err);
    assert.ok(error instanceof ConfigError, `${name}=${value} is rejected`);
    assert.equal(error.problems.length, 1);
    assert.equal(error.problems[0]?.source, name);
    assert.equal(error.problems[0]?.received, value);
    assert.ok(error.problems[0]!.expected.length > 10);
  }
});

test('redacts the prestop token in the config.loaded line', async (t) => {
  const sidecar = await startSidecar(t, { env: { DRAINWATCH_PRESTOP_TOKEN: 'hunter2-token' } });

  const loaded = await sidecar.run.waitForEvent('config.loaded');

  assert.equal((loaded.config as Record<string, unknown>).prestopToken, '[redacted]');
  assert.ok(!sidecar.run.output().includes('hunter2-token'));
});

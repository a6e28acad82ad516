import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ConfigError } from '../../common/errors.js';
import { parseCommandLine, UsageError } from '../../worker-shim/command-line.js';
import { readShimConfig } from '../../worker-shim/config.js';

const WORKER = ['--', '/bin/worker', '--message-count=1'];

test('reads flags before "--" and the worker command after it', () => {
  const cases: [string[], { loop: boolean; drainSignal: string | undefined }][] = [
    [WORKER, { loop: false, drainSignal: undefined }],
    [['--loop', ...WORKER], { loop: true, drainSignal: undefined }],
    [['--drain-signal', 'SIGQUIT', ...WORKER], { loop: false, drainSignal: 'SIGQUIT' }],
    [['--drain-signal=none', '--loop', ...WORKER], { loop: true, drainSignal: 'none' }],
  ];
  for (const [argv, expected] of cases) {
    const line = parseCommandLine(argv);
    assert.deepEqual({ loop: line.loop, drainSignal: line.drainSignal }, expected, argv.join(' '));
    assert.equal(line.command, '/bin/worker');
    assert.deepEqual(line.args, ['--message-count=1']);
  }
});

test('rejects a command line without a command, with an unknown flag or a flag without value', () => {
  const cases = [
    [], ['/bin/worker'], ['--loop'], ['--'], ['--fast', ...WORKER], ['--drain-signal'],
  ];
  for (const argv of cases) {
    assert.throws(() => parseCommandLine(argv), UsageError, argv.join(' '));
  }
});

test('uses the documented defaults when nothing is set', () => {
  const config = readShimConfig(parseCommandLine(WORKER), {});

  assert.deepEqual({ ...config, args: [...config.args] }, {
    dir: '/tmp/share', markerName: 'kill_sidecar', logLevel: 'info', mode: 'supervise',
    drainSignal: 'SIGTERM', stopTimeoutMs: 10_000, heartbeatIntervalMs: 2_000,
    restartPolicy: 'Always', loopBackoffMs: 1_000, loopBackoffMaxMs: 30_000, loopMaxFailures: 5,
    reportsTasks: false, watchPoll: false, pollIntervalMs: 100,
    command: '/bin/worker', args: ['--message-count=1'],
  });
  assert.ok(Object.isFrozen(config));
});

test('lets a flag win over its variable', () => {
  const env = { DRAINWATCH_MODE: 'supervise', DRAINWATCH_DRAIN_SIGNAL: 'SIGINT' };

  const line = parseCommandLine(['--loop', '--drain-signal', 'QUIT', ...WORKER]);
  const config = readShimConfig(line, env);

  assert.equal(config.mode, 'loop');
  assert.equal(config.drainSignal, 'SIGQUIT');
});

test('reads every variable when set', () => {
  const config = readShimConfig(parseCommandLine(WORKER), {
    DRAINWATCH_DIR: '/share', DRAINWATCH_MARKER: 'done', DRAINWATCH_LOG_LEVEL: 'warn',
    DRAINWATCH_MODE: 'loop', DRAINWATCH_DRAIN_SIGNAL: 'none', DRAINWATCH_STOP_TIMEOUT: '30s',
    DRAINWATCH_HEARTBEAT_INTERVAL: '500ms', DRAINWATCH_RESTART_POLICY: 'never',
    DRAINWATCH_LOOP_BACKOFF: '2s', DRAINWATCH_LOOP_BACKOFF_MAX: '1m',
    DRAINWATCH_LOOP_MAX_FAILURES: '0',
    DRAINWATCH_REPORTS_TASKS: 'yes', DRAINWATCH_WATCH_POLL: 'on', DRAINWATCH_POLL_INTERVAL: '1s',
  });

  const { command: _command, args: _args, ...settings } = config;
  assert.deepEqual(settings, {
    dir: '/share', markerName: 'done', logLevel: 'warn', mode: 'loop', drainSignal: 'none',
    stopTimeoutMs: 30_000, heartbeatIntervalMs: 500, restartPolicy: 'Never', loopBackoffMs: 2_000,
    loopBackoffMaxMs: 60_000, loopMaxFailures: 0, reportsTasks: true, watchPoll: true,
    pollIntervalMs: 1_000,
  });
});

test('reports every bad value at once, naming variable, value and expectation', () => {
  const env = {
    DRAINWATCH_MARKER: 'a/b', DRAINWATCH_HEARTBEAT_INTERVAL: '2', DRAINWATCH_LOOP_BACKOFF: '5s',
    DRAINWATCH_LOOP_BACKOFF_MAX: '1s', DRAINWATCH_POLL_INTERVAL: '1ms',
    DRAINWATCH_WATCH_POLL: 'sometimes',
  };

  const line = parseCommandLine(['--drain-signal', 'KILL', ...WORKER]);
  const error = captureConfigError(() => readShimConfig(line, env));

  assert.deepEqual(error.problems.map((p) => p.source).sort(), [
    '--drain-signal', 'DRAINWATCH_HEARTBEAT_INTERVAL', 'DRAINWATCH_LOOP_BACKOFF_MAX',
    'DRAINWATCH_MARKER', 'DRAINWATCH_POLL_INTERVAL', 'DRAINWATCH_WATCH_POLL',
  ]);
  assert.match(error.message, /DRAINWATCH_LOOP_BACKOFF_MAX is "1s"; expected a duration no shorter/);
});

function captureConfigError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  assert.fail('expected a ConfigError');
}

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { EnvReader, formatDuration, parseDuration, parseSignal } from '../../common/config.js';
import { ConfigError } from '../../common/errors.js';

test('parseDuration accepts values with a unit and compounds', () => {
  const cases: Array<[string, number]> = [
    ['1500ms', 1500], ['90s', 90_000], ['5m', 300_000], ['1h', 3_600_000],
    ['1m30s', 90_000], [' 2s ', 2000], ['0s', 0], ['0.5s', 500], ['1h30m', 5_400_000],
  ];
  for (const [text, ms] of cases) assert.equal(parseDuration(text), ms, text);
});

test('parseDuration rejects missing units, junk, signs and empty strings', () => {
  for (const text of ['10', '', ' ', 's', '-1s', '1 s', '1d', '1sx', 'abc', '1e3s', '9'.repeat(30) + 'h']) {
    assert.equal(parseDuration(text), undefined, JSON.stringify(text));
  }
});

test('formatDuration writes the largest whole unit', () => {
  assert.equal(formatDuration(3_600_000), '1h');
  assert.equal(formatDuration(120_000), '2m');
  assert.equal(formatDuration(90_000), '90s');
  assert.equal(formatDuration(1500), '1500ms');
});

test('parseSignal accepts names with or without SIG and refuses uncatchable signals', () => {
  assert.equal(parseSignal('term', false), 'SIGTERM');
  assert.equal(parseSignal('SIGQUIT', false), 'SIGQUIT');
  assert.equal(parseSignal('none', true), 'none');
  assert.equal(parseSignal('none', false), undefined);
  assert.equal(parseSignal('SIGKILL', false), undefined);
  assert.equal(parseSignal('SIGBOGUS', false), undefined);
});

test('EnvReader reports every bad variable at once, naming value and expectation', () => {
  const reader = new EnvReader({
    DRAINWATCH_PORT: 'abc',
    DRAINWATCH_HEARTBEAT_TIMEOUT: '10',
    DRAINWATCH_WATCH_POLL: 'maybe',
    DRAINWATCH_MODE: 'sometimes',
    DRAINWATCH_CODES: '0,300',
  });
  reader.port('DRAINWATCH_PORT', 9797);
  reader.duration('DRAINWATCH_HEARTBEAT_TIMEOUT', 10_000);
  reader.boolean('DRAINWATCH_WATCH_POLL', false);
  reader.oneOf('DRAINWATCH_MODE', ['loop', 'supervise'], 'supervise');
  reader.exitCodes('DRAINWATCH_CODES', [0]);
  const err = finishError(reader);
  assert.deepEqual(err.problems.map((p) => p.source), [
    'DRAINWATCH_PORT', 'DRAINWATCH_HEARTBEAT_TIMEOUT', 'DRAINWATCH_WATCH_POLL',
    'DRAINWATCH_MODE', 'DRAINWATCH_CODES',
  ]);
  assert.match(err.message, /DRAINWATCH_PORT is "abc"; expected a whole number from 1 to 65535/);
  assert.match(err.message, /DRAINWATCH_HEARTBEAT_TIMEOUT is "10"; expected a positive duration with a unit/);
  assert.equal(err.code, 'DRAINWATCH_CONFIG_INVALID');
});

test('EnvReader returns defaults for unset and blank variables and parsed values otherwise', () => {
  const reader = new EnvReader({ A: ' ', B: '250ms', C: 'ON', D: 'Loop', E: '0, 143' });
  assert.equal(reader.port('A', 9797), 9797);
  assert.equal(reader.duration('B', 1), 250);
  assert.equal(reader.boolean('C', false), true);
  assert.equal(reader.oneOf('D', ['loop', 'supervise'], 'supervise'), 'loop');
  assert.deepEqual(reader.exitCodes('E', [0]), [0, 143]);
  assert.equal(reader.duration('Z', 42), 42);
  reader.finish();
});

test('EnvReader enforces a minimum duration and allows zero only when asked', () => {
  const reader = new EnvReader({ A: '0s', B: '0s', C: '50ms' });
  assert.equal(reader.duration('A', 7), 7);
  assert.equal(reader.duration('B', 7, { allowZero: true }), 0);
  assert.equal(reader.duration('C', 7, { min: 100 }), 7);
  const err = finishError(reader);
  assert.deepEqual(err.problems.map((p) => p.source), ['A', 'C']);
  assert.match(err.message, /C is "50ms"; expected a duration with a unit, .* \(at least 100ms\)/);
});

function finishError(reader: EnvReader): ConfigError {
  try {
    reader.finish();
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err;
  }
  assert.fail('finish() did not throw');
}

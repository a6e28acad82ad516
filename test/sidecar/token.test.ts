import assert from 'node:assert/strict';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';

import { getJson, startSidecar, writeMarker } from './support.js';

test('refuses /prestop without the token, starts no drain, and works with it', async (t) => {
  const sidecar = await startSidecar(t, { env: { DRAINWATCH_PRESTOP_TOKEN: 'let-me-drain' } });

  const missing = await getJson(sidecar.url('/prestop'));
  const wrong = await getJson(sidecar.url('/prestop'), { 'X-Drainwatch-Token': 'guess' });
  const status = await getJson(sidecar.url('/status'));
  const ready = await getJson(sidecar.url('/readyz'));

  assert.equal(missing.status, 401);
  assert.equal(wrong.status, 403);
  assert.equal(status.body.phase, 'running');
  assert.equal(ready.status, 200);
  await assert.rejects(access(join(sidecar.dir, 'drainwatch', 'drain.json')));

  const held = getJson(sidecar.url('/prestop'), { 'X-Drainwatch-Token': 'let-me-drain' });
  await sidecar.run.waitForEvent('prestop.waiting');
  await writeMarker(sidecar.dir);
  const answer = await held;

  assert.equal(answer.status, 200);
  assert.equal((await sidecar.run.waitForExit()).code, 0);
});

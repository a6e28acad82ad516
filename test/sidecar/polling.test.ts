import assert from 'node:assert/strict';
import { test } from 'node:test';

import { getJson, startSidecar, writeMarker } from './support.js';

test('releases on a marker seen by polling when DRAINWATCH_WATCH_POLL is on', async (t) => {
  const sidecar = await startSidecar(t, {
    env: { DRAINWATCH_WATCH_POLL: 'true', DRAINWATCH_POLL_INTERVAL: '50ms' },
  });
  const ready = await sidecar.run.waitForEvent('watch.ready');
  assert.equal(ready.polling, true);

  const held = getJson(sidecar.url('/prestop'));
  await sidecar.run.waitForEvent('drain.written');
  await writeMarker(sidecar.dir);

  assert.equal((await held).status, 200);
  assert.equal((await sidecar.run.waitForExit()).code, 0);
});

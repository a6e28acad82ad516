import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';

import { SHIM_BIN, startNode } from '../helpers.js';
import { getJson, startSidecar } from './support.js';

const noShim = existsSync(SHIM_BIN) ? false : 'the shim is not built (dist/worker-shim/main.js)';

test('releases on the marker the real shim writes after the sidecar starts a drain',
  { skip: noShim }, async (t) => {
    const sidecar = await startSidecar(t);
    const shim = startNode(t, SHIM_BIN, ['--', 'sleep', '60'], {
      env: { DRAINWATCH_DIR: sidecar.dir, DRAINWATCH_LOG_LEVEL: 'info' },
    });
    const state = await sidecar.run.waitFor(
      (l) => l.event === 'worker.state_changed' && l.state === 'busy', 'the shim reports busy');
    const status = await getJson(sidecar.url('/status'));

    sidecar.run.kill('SIGTERM');

    assert.equal((await sidecar.run.waitForExit()).code, 0, sidecar.run.output());
    const seen = sidecar.run.lines.find((l) => l.event === 'marker.seen');
    assert.equal(seen?.kind, 'current');
    assert.equal(seen?.instance, state.instance);
    assert.equal((status.body.worker as Record<string, unknown>).activity, 'busy');
    await shim.waitForExit();
  });

// `npm run demo` as a newcomer runs it (minus the build, which the test run has done): it
// exits 0 and its summary says that no task was interrupted.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';

import { ROOT, startNode } from '../helpers.js';
import { skip } from './support.js';

test('the demo exits 0 and reports that no task was interrupted', { skip }, async (t) => {
  const demo = startNode(t, join(ROOT, 'dist', 'demo', 'main.js'), [], { cwd: ROOT });

  const exit = await demo.waitForExit(170_000);

  const output = demo.text.join('\n');
  assert.equal(exit.code, 0, demo.output());
  assert.match(output, /No task was interrupted\./);
  assert.match(output, /old-\d\s+busy\s+deletion to exit/, 'one old pod was busy');
  assert.match(output, /old-\d\s+idle\s+deletion to exit/, 'another was idle');
});

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';

import { FIXTURES } from '../helpers.js';
import { HTTP_SERVER, NODE, skipWithoutNamespaces as skip } from './support.js';

/** A hung hook would hold the process for an hour; this is far more than a stop needs. */
const EXIT_BOUND_MS = 60_000;

test('stopping a simulation mid-preStop leaves no timer that keeps the process alive',
  { skip }, async () => {
    const child = spawn(NODE, [`${FIXTURES}/podsim-stop-mid-prestop.js`, 'run', HTTP_SERVER], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => { stdout += text; });
    child.stderr.setEncoding('utf8').on('data', (text: string) => { stderr += text; });
    let timer: NodeJS.Timeout | undefined;
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    const bound = new Promise<'bound'>((resolve) => {
      timer = setTimeout(() => resolve('bound'), EXIT_BOUND_MS);
    });
    const first = await Promise.race([exited, bound]);
    clearTimeout(timer);
    if (first === 'bound') child.kill('SIGKILL');

    assert.notEqual(first, 'bound',
      `the process did not exit by itself within ${EXIT_BOUND_MS} ms\n${stdout}\n${stderr}`);
    assert.equal(first, 0, `${stdout}\n${stderr}`);
    const line = stdout.split('\n').find((l) => l.includes('"stopped"'));
    assert.ok(line, `no "stopped" line\n${stdout}\n${stderr}`);
    const active = (JSON.parse(line) as { active: string[] }).active;
    assert.ok(!active.includes('Timeout'), `timers still active: ${active.join(', ')}`);
  });

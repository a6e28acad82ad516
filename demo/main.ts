#!/usr/bin/env node
// `npm run demo`: runs the demo in the pod emulator and prints its timeline and summary. This
// file owns the process: Ctrl-C (or SIGTERM) stops every emulated pod before exiting, and an
// overall bound stops a demo that hangs. Exit codes: 0 no task interrupted, 1 a task was
// interrupted or the demo failed, 130 interrupted by Ctrl-C.

import { Demo } from './demo.js';

/** The demo takes about 40 s; past this bound something is wrong. */
const OVERALL_BOUND_MS = 180_000;

const demo = new Demo((line) => process.stdout.write(`${line}\n`));

async function finish(code: number): Promise<never> {
  await demo.stop();
  process.exit(code);
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    process.stderr.write(`\n${signal}: stopping every pod of the demo...\n`);
    void finish(130);
  });
}
setTimeout(() => {
  process.stderr.write(`the demo did not finish within ${OVERALL_BOUND_MS / 1000} s; ` +
    'stopping it\n');
  void finish(1);
}, OVERALL_BOUND_MS).unref();

try {
  const clean = await demo.run();
  await finish(clean ? 0 : 1);
} catch (err) {
  process.stderr.write(`demo failed: ${(err as Error).message}\n`);
  await finish(1);
}

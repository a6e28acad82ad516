import assert from 'node:assert/strict';
import { access } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';

import { getJson, startSidecar } from './support.js';

const SEED = Number(process.env.DRAINWATCH_FUZZ_SEED ?? 20261203);
const HTTP_REQUESTS = 2500;
const RAW_CONNECTIONS = 400;
const CONCURRENCY = 16;
const METHODS = ['GET', 'GET', 'GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS',
  'PROPFIND', 'TRACE', 'SEARCH', 'LOCK'];
const PATHS = ['/', '/healthz', '/readyz', '/prestop', '/status', '/metrics', '/prestop/',
  '//prestop', '/PRESTOP', '/prestop?now=1', '/prestop#x', '/status/../prestop', '/%2e%2e/',
  '/%', '/%zz', '/healthz?' + 'a=1&'.repeat(200), '/' + 'x'.repeat(5000), '/*', '/?', '/..;/'];

/** A small seeded generator, so a failing run can be repeated with DRAINWATCH_FUZZ_SEED. */
function random(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let x = Math.imul(state ^ (state >>> 15), 1 | state);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;
  const text = (max: number, alphabet = 'abcXYZ019-_./%?&=:;@ ~!*') =>
    Array.from({ length: int(max) }, () => alphabet[int(alphabet.length)]).join('');
  const bytes = (max: number) => Buffer.from(Array.from({ length: int(max) }, () => int(256)));
  return { next, int, pick, text, bytes };
}

type Rng = ReturnType<typeof random>;

function randomPath(rng: Rng): string {
  if (rng.next() < 0.6) return rng.pick(PATHS);
  return `/${encodeURI(rng.text(60))}`;
}

function randomHeaders(rng: Rng): Record<string, string> {
  const headers: Record<string, string> = {};
  for (let i = rng.int(6); i > 0; i -= 1) {
    headers[`x-${rng.text(12, 'abcdefghij-')}z`] = rng.text(40, 'abc 0123456789=;,');
  }
  if (rng.next() < 0.3) headers['x-drainwatch-token'] = rng.text(20, 'abcdef0123');
  if (rng.next() < 0.3) {
    headers['content-type'] = rng.pick(['application/json', 'text/plain', 'a/b', '*/*', ';;']);
  }
  return headers;
}

function send(port: number, agent: Agent, rng: Rng): Promise<number> {
  const method = rng.pick(METHODS);
  const body = rng.next() < 0.4 ? rng.bytes(rng.pick([10, 1000, 40_000])) : undefined;
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, method, path: randomPath(rng), agent,
      headers: randomHeaders(rng), timeout: 10_000 }, (res) => {
      res.resume();
      res.once('end', () => resolve(res.statusCode ?? 0));
      res.once('error', () => resolve(-1));
    });
    req.once('timeout', () => req.destroy(new Error('timeout')));
    req.once('error', () => resolve(-1));
    req.end(method === 'GET' || method === 'HEAD' ? undefined : body);
  });
}

const RAW_STARTS = ['GET / HTTP/1.1\r\n', 'GET /prestop HTTP/1.1\r\nHost: x\r\n',
  'POST /status HTTP/1.1\r\nContent-Length: 99999\r\n\r\nabc', 'BREW /pot HTTP/1.1\r\n\r\n',
  'GET /healthz HTTP/9.9\r\n\r\n',
  'GET /healthz HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
  'CONNECT x:1 HTTP/1.1\r\n\r\n', '\r\n\r\n\r\n', 'GET /readyz HTTP/1.1\r\nBad Header\r\n\r\n'];

function rawConnection(port: number, rng: Rng): Promise<void> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const timer = setTimeout(() => socket.destroy(), 5_000);
    socket.once('connect', () => {
      if (rng.next() < 0.5) socket.write(rng.pick(RAW_STARTS));
      if (rng.next() < 0.7) socket.write(rng.bytes(2000));
      socket.end();
    });
    socket.on('data', () => undefined);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    socket.once('error', () => undefined);
  });
}

async function inParallel(count: number, run: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: CONCURRENCY }, async () => {
    while (next < count) await run(next++);
  });
  await Promise.all(lanes);
}

test('survives thousands of random requests without crashing or changing state', async (t) => {
  const sidecar = await startSidecar(t, {
    env: { DRAINWATCH_PRESTOP_TOKEN: 'the-real-token', DRAINWATCH_LOG_LEVEL: 'info' },
  });
  const rng = random(SEED);
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  t.after(() => agent.destroy());
  const statuses = new Map<number, number>();

  await inParallel(HTTP_REQUESTS, async () => {
    const status = await send(sidecar.port, agent, rng);
    statuses.set(status, (statuses.get(status) ?? 0) + 1);
  });
  await inParallel(RAW_CONNECTIONS, () => rawConnection(sidecar.port, rng));
  const status = await getJson(sidecar.url('/status'));
  const health = await getJson(sidecar.url('/healthz'));

  const summary = `seed ${SEED}, statuses ${JSON.stringify([...statuses])}`;
  t.diagnostic(summary);
  assert.equal(health.status, 200, summary);
  assert.equal(status.body.phase, 'running', summary);
  await assert.rejects(access(join(sidecar.dir, 'drainwatch', 'drain.json')));
  const serverErrors = [...statuses.keys()].filter((s) => s >= 500);
  assert.deepEqual(serverErrors, [], summary);
  assert.ok((statuses.get(401) ?? 0) + (statuses.get(403) ?? 0) > 0, summary);
  assert.ok(!sidecar.run.events().includes('drain.started'), sidecar.run.output());
  assert.ok(!sidecar.run.events().includes('sidecar.failed'));
});

// The sidecar's HTTP surface: probes, the preStop target, status and metrics. Bodies are small
// JSON objects whose shape does not change; errors never carry a stack trace. Every request is
// logged at debug only: probes come every few seconds.

import { createHash, timingSafeEqual } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';

import { fastify, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';

import type { Logger } from '../common/log.js';
import type { Coordinator, Release } from './coordinator.js';
import type { SidecarMetrics } from './metrics.js';
import { statusBody } from './status.js';

/** How the sidecar ends: released by the protocol, or stopped for another reason. */
export type Ending =
  | { kind: 'released'; release: Release }
  | { kind: 'stopped'; reason: string };

export interface HttpOptions {
  coordinator: Coordinator;
  ending: Promise<Ending>;
  metrics: SidecarMetrics;
  token: string | undefined;
  prestopTimeoutMs: number;
  log: Logger;
}

const ROUTES: Record<string, string> = {
  '/healthz': 'GET, HEAD',
  '/readyz': 'GET, HEAD',
  '/status': 'GET, HEAD',
  '/metrics': 'GET, HEAD',
  // HEAD would run the GET handler and start a drain; only GET may do that.
  '/prestop': 'GET',
};
const TOKEN_HEADER = 'x-drainwatch-token';
const BODY_LIMIT_BYTES = 16 * 1024;
const MAX_LOGGED_URL = 200;

/** "::" accepts IPv4 too, but binding it fails where the kernel has IPv6 turned off. */
function allInterfaces(): string {
  const addresses = Object.values(networkInterfaces()).flat();
  return addresses.some((a) => a?.family === 'IPv6') ? '::' : '0.0.0.0';
}

/**
 * Stands in for fastify's schema compilers. No route declares a JSON schema, and the defaults
 * (ajv and fast-json-stringify, over 100 modules) would be loaded at start-up for nothing.
 */
function noSchemas(): never {
  throw new Error('the sidecar routes declare no JSON schemas; none can be compiled');
}

export class SidecarHttp {
  readonly #app: FastifyInstance;
  readonly #options: HttpOptions;
  readonly #responses = new Set<Promise<void>>();
  #waiting = 0;

  constructor(options: HttpOptions) {
    this.#options = options;
    this.#app = fastify({
      logger: false,
      bodyLimit: BODY_LIMIT_BYTES,
      schemaController: {
        compilersFactory: { buildValidator: noSchemas, buildSerializer: noSchemas },
      },
    });
    this.#setUp();
  }

  /** Held /prestop requests right now. */
  prestopWaiting(): number {
    return this.#waiting;
  }

  /** Listens on `host`, or on all interfaces: "::" (dual stack), or 0.0.0.0 without IPv6. */
  async listen(port: number, host: string | undefined): Promise<AddressInfo> {
    await this.#app.listen({ port, host: host ?? allInterfaces() });
    return this.#app.server.address() as AddressInfo;
  }

  /** Waits until every response started so far has gone out, for at most `boundMs`. */
  async settle(boundMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), boundMs);
    });
    const all = Promise.all([...this.#responses]).then(() => true);
    const done = await Promise.race([all, bound]);
    clearTimeout(timer);
    return done;
  }

  #setUp(): void {
    const app = this.#app;
    const { coordinator, log } = this.#options;
    // No route takes a body: accept any content type, keep at most BODY_LIMIT_BYTES, ignore it,
    // so a wrong method gets its 405 whatever the request carries.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, _body, done) => done(null));
    app.addHook('onRequest', async (_request, reply) => this.#track(reply.raw));
    app.addHook('onResponse', async (request, reply) => {
      log.debug({ event: 'http.request', method: request.method,
        url: request.url.slice(0, MAX_LOGGED_URL), statusCode: reply.statusCode,
        durationMs: Math.round(reply.elapsedTime) }, 'http request answered');
    });
    app.setNotFoundHandler(async (_request, reply) =>
      reply.code(404).send({ error: 'not found' }));
    app.setErrorHandler(async (err: { statusCode?: number; message?: string }, request, reply) => {
      const status = err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 600
        ? err.statusCode
        : 500;
      if (status >= 500) {
        log.error({ event: 'http.error', err, method: request.method,
          url: request.url.slice(0, MAX_LOGGED_URL) }, 'http request failed');
      }
      return reply.code(status).send({ error: status < 500 ? err.message : 'internal error' });
    });

    app.get('/healthz', async () => ({ status: 'ok' }));
    app.get('/readyz', async (_request, reply) => {
      const ready = coordinator.isReady();
      return reply.code(ready ? 200 : 503).send({ ready, phase: coordinator.phase });
    });
    app.get('/status', async () => statusBody(coordinator));
    app.get('/metrics', async (_request, reply) => {
      const text = await this.#options.metrics.render();
      return reply.type(text.contentType).send(text.body);
    });
    app.get('/prestop', { exposeHeadRoute: false },
      (request, reply) => this.#prestop(request, reply));
    for (const [url, allow] of Object.entries(ROUTES)) {
      const allowed = allow.split(', ');
      const methods = app.supportedMethods.filter((m) => !allowed.includes(m));
      app.route({ method: methods, url, handler: async (_request, reply) =>
        reply.code(405).header('allow', allow).send({ error: 'method not allowed', allow }) });
    }
  }

  #track(response: ServerResponse): void {
    const done = new Promise<void>((resolve) => {
      response.once('close', resolve);
      response.once('finish', resolve);
    });
    this.#responses.add(done);
    void done.then(() => this.#responses.delete(done));
  }

  async #prestop(request: FastifyRequest, reply: FastifyReply) {
    const { coordinator, log } = this.#options;
    const refusal = this.#checkToken(request.headers[TOKEN_HEADER]);
    if (refusal !== undefined) {
      log.warn({ event: 'prestop.refused', statusCode: refusal.status, problem: refusal.error },
        'prestop request refused; no drain started');
      return reply.code(refusal.status).send({ error: refusal.error });
    }
    const startedMs = Date.now();
    const started = coordinator.startDrain('prestop');
    this.#waiting += 1;
    log.info({ event: 'prestop.waiting', waiting: this.#waiting, drainStartedNow: started },
      'prestop request held until the worker is done');
    const outcome = await this.#waitForEnding(reply.raw);
    this.#waiting -= 1;
    const waitedMs = Date.now() - startedMs;
    if (outcome === 'gone') {
      // The socket is closed: this answer goes nowhere, it only completes the request.
      log.info({ event: 'prestop.abandoned', waitedMs }, 'prestop caller went away');
      return reply.code(503).send({ error: 'caller went away' });
    }
    if (outcome === 'timeout') {
      log.warn({ event: 'prestop.timeout', waitedMs,
        prestopTimeoutMs: this.#options.prestopTimeoutMs, phase: coordinator.phase },
      'prestop timeout reached before the worker was done');
      return reply.code(504).send({ error: 'prestop timeout: the worker is not done yet',
        phase: coordinator.phase, waitedMs });
    }
    if (outcome.kind === 'stopped') {
      log.warn({ event: 'prestop.answered', statusCode: 503, reason: outcome.reason, waitedMs },
        'prestop answered');
      return reply.code(503).send({ status: 'stopped', reason: outcome.reason, waitedMs });
    }
    log.info({ event: 'prestop.answered', statusCode: 200, reason: outcome.release.reason,
      waitedMs }, 'prestop answered');
    return reply.code(200).send({ status: 'released', reason: outcome.release.reason, waitedMs });
  }

  async #waitForEnding(response: ServerResponse): Promise<Ending | 'timeout' | 'gone'> {
    let timer: NodeJS.Timeout | undefined;
    let onClose: (() => void) | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.#options.prestopTimeoutMs);
    });
    const gone = new Promise<'gone'>((resolve) => {
      onClose = () => resolve('gone');
      response.once('close', onClose);
    });
    try {
      return await Promise.race([this.#options.ending, timeout, gone]);
    } finally {
      clearTimeout(timer);
      if (onClose) response.off('close', onClose);
    }
  }

  #checkToken(header: string | string[] | undefined) {
    const expected = this.#options.token;
    if (expected === undefined) return undefined;
    if (header === undefined) {
      return { status: 401, error: `header X-Drainwatch-Token is required` };
    }
    const given = Array.isArray(header) ? header.join(',') : header;
    const digest = (text: string) => createHash('sha256').update(text).digest();
    if (!timingSafeEqual(digest(given), digest(expected))) {
      return { status: 403, error: 'header X-Drainwatch-Token does not match' };
    }
    return undefined;
  }
}

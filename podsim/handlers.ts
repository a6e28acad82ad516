// Runs lifecycle hooks and probe actions (httpGet, exec, tcpSocket, sleep) for one container.
// Network actions run inside the pod network through the pod agent. Hooks have no client
// timeout and count any HTTP response as success (spec D4, D5); probes have timeoutSeconds
// and need a status from 200 to 399.

import type { AgentClient } from './agent-client.js';
import type { ContainerSpec, HttpGetAction, IntOrString, LifecycleHandler } from './types.js';

export const POD_IP = '127.0.0.1';
const HOOK_USER_AGENT = 'kube-lifecycle/1.33';
const PROBE_USER_AGENT = 'kube-probe/1.33';

export interface HandlerContext {
  agent: AgentClient;
  containerId: string;
  container: ContainerSpec;
  env: Record<string, string>;
  cwd: string;
  /** Aborted when the pod is torn down at once: a sleep action then ends early. */
  teardown?: AbortSignal;
}

export interface HandlerOutcome {
  ok: boolean;
  action: 'httpGet' | 'exec' | 'sleep' | 'tcpSocket' | 'grpc' | 'none';
  status?: number;
  exitCode?: number;
  error?: string;
  timedOut?: boolean;
}

export function actionOf(handler: LifecycleHandler & { grpc?: unknown }) {
  if (handler.httpGet) return 'httpGet';
  if (handler.exec) return 'exec';
  if (handler.sleep) return 'sleep';
  if (handler.tcpSocket) return 'tcpSocket';
  if (handler.grpc) return 'grpc';
  return 'none';
}

/** A named or numeric port; named ports are looked up in the container's ports (D2). */
export function resolvePort(port: IntOrString, container: ContainerSpec): number | undefined {
  const named = typeof port === 'string'
    ? container.ports?.find((p) => p.name === port)?.containerPort ?? Number(port)
    : port;
  return Number.isInteger(named) && named > 0 && named < 65536 ? named : undefined;
}

function httpHeaders(action: HttpGetAction, userAgent: string): Array<[string, string]> {
  const headers: Array<[string, string]> = (action.httpHeaders ?? [])
    .map((h) => [h.name, h.value]);
  const has = (name: string) => headers.some(([n]) => n.toLowerCase() === name);
  if (!has('user-agent')) headers.push(['User-Agent', userAgent]);
  if (!has('accept')) headers.push(['Accept', '*/*']);
  return headers.filter(([, value]) => value !== '');
}

async function runHttpGet(
  action: HttpGetAction,
  context: HandlerContext,
  timeoutMs: number | null,
  isProbe: boolean,
): Promise<HandlerOutcome> {
  const port = resolvePort(action.port, context.container);
  if (port === undefined) {
    const error = `port ${JSON.stringify(action.port)} unresolved`;
    return { ok: false, action: 'httpGet', error };
  }
  const path = action.path ?? '/';
  const result = await context.agent.action({
    op: 'http',
    scheme: (action.scheme ?? 'http').toLowerCase(),
    host: action.host ?? POD_IP,
    port,
    path: path.startsWith('/') ? path : `/${path}`,
    headers: httpHeaders(action, isProbe ? PROBE_USER_AGENT : HOOK_USER_AGENT),
    timeoutMs,
  });
  if (!result.ok) {
    return { ok: false, action: 'httpGet', error: result.error ?? 'request failed',
      timedOut: result.timedOut === true };
  }
  const status = result.status ?? 0;
  return { ok: isProbe ? status >= 200 && status < 400 : true, action: 'httpGet', status };
}

async function runExec(
  command: string[] | undefined,
  context: HandlerContext,
  timeoutMs: number | null,
): Promise<HandlerOutcome> {
  if (!command || command.length === 0) {
    return { ok: false, action: 'exec', error: 'exec.command is empty' };
  }
  const result = await context.agent.action({
    op: 'exec', id: context.containerId, argv: command, env: context.env, cwd: context.cwd,
    timeoutMs,
  });
  const outcome: HandlerOutcome = { ok: result.ok, action: 'exec' };
  if (result.exitCode !== undefined) outcome.exitCode = result.exitCode;
  if (result.error !== undefined) outcome.error = result.error;
  if (result.timedOut) outcome.timedOut = true;
  return outcome;
}

async function runTcp(
  port: IntOrString,
  host: string | undefined,
  context: HandlerContext,
  timeoutMs: number,
): Promise<HandlerOutcome> {
  const resolved = resolvePort(port, context.container);
  if (resolved === undefined) return { ok: false, action: 'tcpSocket', error: 'port unresolved' };
  const result = await context.agent.action({
    op: 'tcp', host: host ?? POD_IP, port: resolved, timeoutMs,
  });
  return result.ok ? { ok: true, action: 'tcpSocket' } :
    { ok: false, action: 'tcpSocket', error: result.error ?? 'connect failed' };
}

/** Resolves true after `ms`, or false at once when `teardown` aborts (the timer is cleared). */
function sleepUnlessTornDown(ms: number, teardown: AbortSignal | undefined): Promise<boolean> {
  if (teardown?.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      teardown?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    teardown?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Runs a preStop or postStart hook to its end; the caller bounds the wait, not the hook. */
export async function runHook(
  handler: LifecycleHandler,
  context: HandlerContext,
): Promise<HandlerOutcome> {
  if (handler.httpGet) return runHttpGet(handler.httpGet, context, null, false);
  if (handler.exec) return runExec(handler.exec.command, context, null);
  if (handler.sleep) {
    const sleepMs = Math.max(0, handler.sleep.seconds) * 1000;
    const slept = await sleepUnlessTornDown(sleepMs, context.teardown);
    return slept ? { ok: true, action: 'sleep' } :
      { ok: false, action: 'sleep', error: 'the pod was torn down' };
  }
  if (handler.tcpSocket) {
    return { ok: false, action: 'tcpSocket', error: 'invalid handler: tcpSocket is not ' +
      'supported as a lifecycle handler' };
  }
  return { ok: false, action: 'none', error: 'the hook names no action' };
}

/** Runs one probe attempt with the probe's timeout. */
export function runProbeAction(
  probe: LifecycleHandler & { grpc?: unknown },
  context: HandlerContext,
  timeoutMs: number,
): Promise<HandlerOutcome> {
  if (probe.httpGet) return runHttpGet(probe.httpGet, context, timeoutMs, true);
  if (probe.exec) return runExec(probe.exec.command, context, timeoutMs);
  if (probe.tcpSocket) {
    return runTcp(probe.tcpSocket.port, probe.tcpSocket.host, context, timeoutMs);
  }
  const action = actionOf(probe);
  return Promise.resolve({ ok: false, action, error: `${action} probes are not emulated` });
}

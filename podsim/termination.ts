// Stopping containers the way the kubelet's killContainer does (spec B3): preStop hook bounded
// by the grace, the hook's whole seconds taken from the budget, native sidecars waiting their
// turn (H4), a 2-second floor, the stop signal to the main process only, then SIGKILL to the
// whole container when the budget runs out. Every wait here ends when the pod is torn down
// (Simulation.stop), so that no timer outlives the simulation.

import type { AgentClient } from './agent-client.js';
import type { Container } from './container.js';
import type { EventLog } from './events.js';
import { MINIMUM_STOP_SECONDS } from './grace.js';
import { runHook, type HandlerContext, type HandlerOutcome } from './handlers.js';

/** After SIGKILL a process dies at once; this bounds the wait in case it does not. */
const KILL_WAIT_BOUND_MS = 10_000;

export interface StopContext {
  agent: AgentClient;
  log: EventLog;
  pod: string;
  /** Aborted when the pod is torn down at once: every wait of a stop then ends. */
  teardown: AbortSignal;
  handlerContext(container: Container): HandlerContext;
}

/**
 * Waits for `promise` at most `boundMs`, and no longer than until `teardown` aborts. The timer
 * is cleared whichever comes first.
 */
export async function waitBounded<T>(
  promise: Promise<T>,
  boundMs: number,
  teardown: AbortSignal,
): Promise<T | 'bound' | 'teardown'> {
  if (teardown.aborted) return 'teardown';
  let timer: NodeJS.Timeout | undefined;
  let onAbort = () => undefined as void;
  const bound = new Promise<'bound' | 'teardown'>((resolve) => {
    timer = setTimeout(() => resolve('bound'), boundMs);
    onAbort = () => resolve('teardown');
    teardown.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([promise, bound]);
  } finally {
    clearTimeout(timer);
    teardown.removeEventListener('abort', onAbort);
  }
}

/** Sidecars stop after every main container and after the next sidecar in spec order (H4). */
export class TerminationOrdering {
  readonly #done = new Map<Container, Promise<void>>();
  readonly #release = new Map<Container, () => void>();
  readonly #dependencies = new Map<Container, Container[]>();

  constructor(mains: readonly Container[], sidecars: readonly Container[]) {
    for (const container of [...mains, ...sidecars]) {
      let release = () => undefined as void;
      const done = container.isRunning ? new Promise<void>((r) => { release = r; }) :
        Promise.resolve();
      this.#done.set(container, done);
      this.#release.set(container, release);
    }
    sidecars.forEach((sidecar, index) => {
      const later = sidecars[index + 1];
      this.#dependencies.set(sidecar, later ? [...mains, later] : [...mains]);
    });
  }

  /** Waits for this container's turn, at most `boundMs`; resolves with the ms waited. */
  async waitForTurn(container: Container, boundMs: number, teardown: AbortSignal) {
    const dependencies = this.#dependencies.get(container);
    if (!dependencies) return 0;
    const startMs = Date.now();
    await waitBounded(Promise.all(dependencies.map((d) => this.#done.get(d))), boundMs,
      teardown);
    return Date.now() - startMs;
  }

  markTerminated(container: Container): void {
    this.#release.get(container)?.();
  }
}

function hookDetails(outcome: HandlerOutcome): Record<string, unknown> {
  const fields: Record<string, unknown> = { action: outcome.action };
  if (outcome.status !== undefined) fields.status = outcome.status;
  if (outcome.exitCode !== undefined) fields.exitCode = outcome.exitCode;
  if (outcome.error !== undefined) fields.error = outcome.error;
  return fields;
}

async function runPreStop(
  container: Container,
  budgetSeconds: number,
  context: StopContext,
): Promise<number> {
  const hook = container.spec.lifecycle?.preStop;
  if (!hook || budgetSeconds <= 0) return 0;
  const { log, pod } = context;
  const name = container.name;
  const startMs = Date.now();
  log.emit('PreStopHookStarted', { pod, container: name, budgetSeconds });
  const hookDone = runHook(hook, context.handlerContext(container)).then((outcome) => {
    const elapsedMs = Date.now() - startMs;
    if (outcome.ok) {
      log.emit('PreStopHookSucceeded', { pod, container: name, elapsedMs,
        ...hookDetails(outcome) });
    } else {
      log.emit('FailedPreStopHook', { pod, container: name, type: 'Warning',
        message: 'PreStopHook failed', elapsedMs, ...hookDetails(outcome) });
    }
    return outcome;
  });
  const first = await waitBounded(hookDone, budgetSeconds * 1000, context.teardown);
  const elapsedMs = Date.now() - startMs;
  if (first === 'bound') {
    // The kubelet stops waiting but does not cancel the hook (B3 step 3).
    log.emit('PreStopHookNotCompleted', { pod, container: name, budgetSeconds, elapsedMs });
  }
  return Math.floor(elapsedMs / 1000);
}

/**
 * Stops one container with a grace of `graceSeconds` (B3). `ordering` is set for pods with
 * native sidecars. Returns once the container's process has ended.
 */
export async function stopContainer(
  container: Container,
  graceSeconds: number,
  context: StopContext,
  ordering: TerminationOrdering | undefined,
  message = `Stopping container ${container.name}`,
): Promise<void> {
  const { log, pod, agent } = context;
  const name = container.name;
  log.emit('Killing', { pod, container: name, message, graceSeconds });
  let budget = graceSeconds;
  budget -= await runPreStop(container, budget, context);
  if (ordering && budget > 0) {
    budget -= Math.floor((await ordering.waitForTurn(container, budget * 1000,
      context.teardown)) / 1000);
  }
  if (budget < MINIMUM_STOP_SECONDS) budget = MINIMUM_STOP_SECONDS;
  // A torn-down pod's processes are gone with its agent: nothing is left to signal.
  if (container.isRunning && !context.teardown.aborted) {
    const signal = stopSignalOf(container);
    const sent = await agent.signal(container.id, signal, 'leader');
    log.emit('Signal', { pod, container: name, signal, target: 'main process',
      delivered: sent.delivered, ...(sent.note ? { note: sent.note } : {}),
      killAfterSeconds: budget });
    await killAfter(container, budget, context);
  }
  ordering?.markTerminated(container);
}

async function killAfter(container: Container, budgetSeconds: number, context: StopContext) {
  const { teardown } = context;
  const first = await waitBounded(container.whenExited(), budgetSeconds * 1000, teardown);
  if (first !== 'bound' || !container.isRunning) return;
  const sent = await context.agent.signal(container.id, 'SIGKILL', 'group');
  context.log.emit('Signal', { pod: context.pod, container: container.name, signal: 'SIGKILL',
    target: context.agent.cgroup === undefined ? 'process group' : 'container',
    delivered: sent.delivered });
  const after = await waitBounded(container.whenExited(), KILL_WAIT_BOUND_MS, teardown);
  if (after === 'bound') {
    context.log.emit('WaitBoundReached', { pod: context.pod, container: container.name,
      waitingFor: 'exit after SIGKILL', boundMs: KILL_WAIT_BOUND_MS });
  }
}

function stopSignalOf(container: Container): NodeJS.Signals {
  const configured = container.spec.lifecycle?.stopSignal;
  return (configured && /^SIG[A-Z0-9]+$/.test(configured) ? configured : 'SIGTERM') as
    NodeJS.Signals;
}

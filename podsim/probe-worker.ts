// One probe (startup, liveness or readiness) of one container run: it waits
// initialDelaySeconds, then runs the action every periodSeconds and turns consecutive results
// into a state with successThreshold and failureThreshold, as the kubelet's prober does.

import type { EventLog } from './events.js';
import { runProbeAction, type HandlerContext, type HandlerOutcome } from './handlers.js';
import type { Probe } from './types.js';

export type ProbeKind = 'startup' | 'liveness' | 'readiness';

export interface ProbeCallbacks {
  /** Called when the probe's state flips (ready/not ready, started, or failed enough). */
  onChange(kind: ProbeKind, ok: boolean, outcome: HandlerOutcome): void;
}

export class ProbeWorker {
  readonly kind: ProbeKind;
  readonly #probe: Probe;
  readonly #context: HandlerContext;
  readonly #callbacks: ProbeCallbacks;
  readonly #log: EventLog;
  readonly #pod: string;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #state: boolean | undefined;
  #successes = 0;
  #failures = 0;

  constructor(kind: ProbeKind, probe: Probe, context: HandlerContext, pod: string,
    log: EventLog, callbacks: ProbeCallbacks) {
    this.kind = kind;
    this.#probe = probe;
    this.#context = context;
    this.#pod = pod;
    this.#log = log;
    this.#callbacks = callbacks;
  }

  start(): void {
    const delayMs = (this.#probe.initialDelaySeconds ?? 0) * 1000;
    this.#timer = setTimeout(() => void this.#tick(), delayMs);
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }

  async #tick(): Promise<void> {
    if (this.#stopped) return;
    const timeoutMs = (this.#probe.timeoutSeconds ?? 1) * 1000;
    const outcome = await runProbeAction(this.#probe, this.#context, timeoutMs);
    if (this.#stopped) return;
    this.#record(outcome);
    if (this.#stopped) return;
    this.#timer = setTimeout(() => void this.#tick(), (this.#probe.periodSeconds ?? 10) * 1000);
  }

  #record(outcome: HandlerOutcome): void {
    const container = this.#context.container.name;
    if (outcome.ok) {
      this.#successes += 1;
      this.#failures = 0;
    } else {
      this.#failures += 1;
      this.#successes = 0;
      this.#log.emit('Unhealthy', { pod: this.#pod, container, probe: this.kind,
        ...details(outcome) });
    }
    const successThreshold = this.kind === 'readiness' ? this.#probe.successThreshold ?? 1 : 1;
    const failureThreshold = this.#probe.failureThreshold ?? 3;
    let next = this.#state;
    if (outcome.ok && this.#successes >= successThreshold) next = true;
    if (!outcome.ok && this.#failures >= failureThreshold) next = false;
    if (next === undefined || next === this.#state) return;
    this.#state = next;
    this.#log.emit('ProbeResult', { pod: this.#pod, container, probe: this.kind,
      result: next ? 'success' : 'failure', ...details(outcome) });
    this.#callbacks.onChange(this.kind, next, outcome);
  }
}

function details(outcome: HandlerOutcome): Record<string, unknown> {
  const fields: Record<string, unknown> = { action: outcome.action };
  if (outcome.status !== undefined) fields.status = outcome.status;
  if (outcome.exitCode !== undefined) fields.exitCode = outcome.exitCode;
  if (outcome.error !== undefined) fields.error = outcome.error;
  return fields;
}

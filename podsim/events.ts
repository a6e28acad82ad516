// The event stream of a simulation: every kubelet/controller decision and every process exit
// becomes one event with `t`, milliseconds since the simulation started. Container output is a
// separate stream of log lines so that it stays out of the timeline.

import { performance } from 'node:perf_hooks';

export interface PodsimEvent {
  /** Milliseconds since the simulation started. */
  t: number;
  event: string;
  pod?: string;
  container?: string;
  [detail: string]: unknown;
}

export interface ContainerLogLine {
  t: number;
  pod: string;
  container: string;
  stream: 'stdout' | 'stderr';
  line: string;
}

type Listener<T> = (item: T) => void;

export class EventLog {
  readonly events: PodsimEvent[] = [];
  readonly #startMs = performance.now();
  readonly #eventListeners = new Set<Listener<PodsimEvent>>();
  readonly #logListeners = new Set<Listener<ContainerLogLine>>();

  now(): number {
    return Math.round(performance.now() - this.#startMs);
  }

  emit(event: string, fields: Omit<PodsimEvent, 't' | 'event'> = {}): PodsimEvent {
    const record: PodsimEvent = { t: this.now(), event, ...fields };
    this.events.push(record);
    for (const listener of this.#eventListeners) notify(listener, record);
    return record;
  }

  log(pod: string, container: string, stream: 'stdout' | 'stderr', line: string): void {
    const record: ContainerLogLine = { t: this.now(), pod, container, stream, line };
    for (const listener of this.#logListeners) notify(listener, record);
  }

  onEvent(listener: Listener<PodsimEvent>): () => void {
    this.#eventListeners.add(listener);
    return () => this.#eventListeners.delete(listener);
  }

  onLog(listener: Listener<ContainerLogLine>): () => void {
    this.#logListeners.add(listener);
    return () => this.#logListeners.delete(listener);
  }

  /**
   * Resolves with the first event, past or future, that matches; rejects when `boundMs` passes
   * first (and records a WaitBoundReached event naming what was awaited).
   */
  waitFor(match: (e: PodsimEvent) => boolean, what: string, boundMs: number) {
    const seen = this.events.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise<PodsimEvent>((resolve, reject) => {
      const timer = setTimeout(() => {
        stop();
        this.emit('WaitBoundReached', { waitingFor: what, boundMs });
        reject(new Error(`podsim: no ${what} within ${boundMs} ms`));
      }, boundMs);
      const stop = this.onEvent((e) => {
        if (!match(e)) return;
        clearTimeout(timer);
        stop();
        resolve(e);
      });
    });
  }
}

/**
 * Calls a subscriber. A subscriber that throws must not break the pod step that emitted the
 * event, so its error is rethrown on its own turn, where the caller's test sees it.
 */
function notify<T>(listener: Listener<T>, item: T): void {
  try {
    listener(item);
  } catch (err) {
    queueMicrotask(() => {
      throw err;
    });
  }
}

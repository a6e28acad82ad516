// Shared pieces of the podsim tests: a simulation that is stopped when the test ends, lookups
// in the event list, and the reason to skip when this machine cannot give pods namespaces.

import type { TestContext } from 'node:test';

import { Simulation, type PodsimEvent, type SimulationOptions } from '../../podsim/index.js';
import { FIXTURES } from '../helpers.js';

export const NODE = process.execPath;
export const HTTP_SERVER = `${FIXTURES}/podsim-http-server.js`;
/** Bound for one wait in these tests: generous for a loaded 2-core machine. */
export const BOUND_MS = 30_000;

const reason = Simulation.namespacesUnavailableReason();
/** Passed as { skip } to tests that need per-pod namespaces. */
export const skipWithoutNamespaces: string | false = reason ?
  `needs per-pod namespaces: ${reason}` : false;

export async function startSimulation(
  t: TestContext,
  manifest: string,
  options: SimulationOptions = {},
): Promise<Simulation> {
  const simulation = new Simulation({ backoffScale: 0.01, hostPath: process.env.PATH ?? '',
    ...options });
  t.after(() => simulation.stop());
  simulation.loadText(manifest, t.name);
  await simulation.start();
  return simulation;
}

export type Match = Partial<Record<string, unknown>>;

export function matches(event: PodsimEvent, match: Match): boolean {
  return Object.entries(match).every(([key, value]) => event[key] === value);
}

/** Index of the first event matching, or -1. */
export function indexOf(events: readonly PodsimEvent[], match: Match): number {
  return events.findIndex((e) => matches(e, match));
}

export function all(events: readonly PodsimEvent[], match: Match): PodsimEvent[] {
  return events.filter((e) => matches(e, match));
}

/** Waits for the first event matching `match`. */
export function waitEvent(simulation: Simulation, match: Match, boundMs = BOUND_MS) {
  return simulation.waitFor((e) => matches(e, match), JSON.stringify(match), boundMs);
}

/** A readable dump of the timeline, for assertion messages. */
export function dump(events: readonly PodsimEvent[]): string {
  return events.map((e) => JSON.stringify(e)).join('\n');
}

/** Waits for a container output line containing `text` (past lines are not kept). */
export function waitLogLine(simulation: Simulation, text: string, boundMs = BOUND_MS) {
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`no container output containing ${text} within ${boundMs} ms`));
    }, boundMs);
    const stop = simulation.onLog((l) => {
      if (!l.line.includes(text)) return;
      clearTimeout(timer);
      stop();
      resolve(l.line);
    });
  });
}

// Shared pieces of the podsim tests: a simulation that is stopped when the test ends, lookups
// in the event list, and the reason to skip when this machine cannot give pods namespaces.

import type { TestContext } from 'node:test';

import {
  Simulation, type ContainerLogLine, type PodsimEvent, type SimulationOptions,
} from '../../podsim/index.js';
import { FIXTURES } from '../helpers.js';

export const NODE = process.execPath;
/** The HTTP server fixture; give it the argument "serve". */
export const HTTP_SERVER = `${FIXTURES}/podsim-http-server.js`;
/** Bound for one wait in these tests: generous for a loaded 2-core machine. */
export const BOUND_MS = 30_000;

const reason = Simulation.namespacesUnavailableReason();
/** Passed as { skip } to tests that need per-pod namespaces. */
export const skipWithoutNamespaces: string | false = reason ?
  `needs per-pod namespaces: ${reason}` : false;

const histories = new WeakMap<Simulation, ContainerLogLine[]>();

/** Every output line of every container so far. */
export function outputOf(simulation: Simulation): string[] {
  return (histories.get(simulation) ?? []).map((l) => l.line);
}

export async function startSimulation(
  t: TestContext,
  manifest: string,
  options: SimulationOptions = {},
): Promise<Simulation> {
  const simulation = new Simulation({ backoffScale: 0.01, hostPath: process.env.PATH ?? '',
    ...options });
  t.after(() => simulation.stop());
  const lines: ContainerLogLine[] = [];
  histories.set(simulation, lines);
  simulation.onLog((line) => lines.push(line));
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

/** Waits for a container output line, past or future, containing `text`. */
export function waitLogLine(simulation: Simulation, text: string, boundMs = BOUND_MS) {
  const seen = outputOf(simulation).find((line) => line.includes(text));
  if (seen !== undefined) return Promise.resolve(seen);
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

/** Waits until `count` output lines contain `text`; container output may trail the events. */
export async function waitOutputCount(
  simulation: Simulation,
  text: string,
  count: number,
  boundMs = BOUND_MS,
): Promise<string[]> {
  const deadline = Date.now() + boundMs;
  for (;;) {
    const found = outputOf(simulation).filter((line) => line.includes(text));
    if (found.length >= count) return found;
    if (Date.now() > deadline) {
      throw new Error(`${found.length} of ${count} output lines contain ${text} ` +
        `after ${boundMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

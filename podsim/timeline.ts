// The readable timeline: one aligned line per event, time in seconds since the start.

import type { PodsimEvent } from './events.js';

const HIDDEN = new Set(['t', 'event', 'pod', 'container']);

export function formatEvent(event: PodsimEvent): string {
  const time = `${(event.t / 1000).toFixed(3)}s`.padStart(9);
  const who = (event.pod ?? event.deployment ?? event.job ?? '') as string;
  const container = event.container ?? '';
  const details = Object.entries(event)
    .filter(([key, value]) => !HIDDEN.has(key) && value !== undefined && key !== 'deployment')
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(' ');
  return `${time}  ${who.padEnd(34)} ${container.padEnd(12)} ${event.event.padEnd(22)} ${details}`
    .trimEnd();
}

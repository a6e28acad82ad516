// maxSurge and maxUnavailable as the Deployment controller resolves them: absolute numbers or
// percentages of the replica count, surge rounded up and unavailable rounded down; when both
// come out 0, one pod may be unavailable.

import { manifestError } from './errors.js';
import type { IntOrString } from './types.js';

const DEFAULT_PERCENT = '25%';

function scaled(value: IntOrString, replicas: number, roundUp: boolean, where: string): number {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return value;
  const match = typeof value === 'string' ? /^(\d+)%$/.exec(value.trim()) : null;
  if (!match) {
    throw manifestError(where, `${JSON.stringify(value)} is not a whole number or a ` +
      'percentage such as "25%"');
  }
  const exact = (Number(match[1]) * replicas) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

export function resolveRollingLimits(
  maxSurge: IntOrString | undefined,
  maxUnavailable: IntOrString | undefined,
  replicas: number,
  where: string,
): { surge: number; unavailable: number } {
  const surge = scaled(maxSurge ?? DEFAULT_PERCENT, replicas, true, `${where} maxSurge`);
  let unavailable = scaled(maxUnavailable ?? DEFAULT_PERCENT, replicas, false,
    `${where} maxUnavailable`);
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return { surge, unavailable };
}

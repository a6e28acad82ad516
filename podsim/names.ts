// Names the way Kubernetes makes them: a pod-template hash (FNV-1a of the template, encoded
// with the "safe" alphabet that has no vowels) and a random 5-character pod suffix.

import { randomInt } from 'node:crypto';

const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

function fnv32a(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/** Maps each character of the decimal hash into the safe alphabet, as rand.SafeEncodeString. */
export function templateHash(template: unknown): string {
  const decimal = String(fnv32a(JSON.stringify(template)));
  return [...decimal].map((c) => SAFE_ALPHABET[c.charCodeAt(0) % SAFE_ALPHABET.length]).join('');
}

export function randomSuffix(length = 5): string {
  let suffix = '';
  for (let i = 0; i < length; i += 1) suffix += SAFE_ALPHABET[randomInt(SAFE_ALPHABET.length)];
  return suffix;
}

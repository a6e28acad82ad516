// Errors raised by podsim. Each has a stable code; the message names the input, the value,
// what was expected and what to do.

export type PodsimErrorCode =
  | 'PODSIM_MANIFEST_INVALID'
  | 'PODSIM_IMAGE_UNMAPPED'
  | 'PODSIM_USAGE'
  | 'PODSIM_NAMESPACES_UNAVAILABLE'
  | 'PODSIM_AGENT_FAILED'
  | 'PODSIM_NOT_FOUND';

export class PodsimError extends Error {
  readonly code: PodsimErrorCode;

  constructor(code: PodsimErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PodsimError';
    this.code = code;
  }
}

export function manifestError(where: string, problem: string): PodsimError {
  return new PodsimError(
    'PODSIM_MANIFEST_INVALID',
    `${where}: ${problem}. Fix the manifest and run again.`,
  );
}

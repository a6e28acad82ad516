// Error classes shared by both programs. Each carries a stable `code` that logs and tests
// can match on; the message says what happened, the value received and what to do.

export type ErrorCode =
  | 'DRAINWATCH_CONFIG_INVALID'
  | 'DRAINWATCH_USAGE'
  | 'DRAINWATCH_DIR_UNUSABLE'
  | 'DRAINWATCH_SPAWN_FAILED';

export class DrainwatchError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DrainwatchError';
    this.code = code;
  }
}

/** One problem with one input: the variable or flag, what was received, what is expected. */
export interface ConfigProblem {
  source: string;
  received: string | undefined;
  expected: string;
}

/** Every configuration problem found at start-up, reported together. */
export class ConfigError extends DrainwatchError {
  readonly problems: readonly ConfigProblem[];

  constructor(problems: readonly ConfigProblem[]) {
    super('DRAINWATCH_CONFIG_INVALID', formatProblems(problems));
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

function formatProblems(problems: readonly ConfigProblem[]): string {
  const lines = problems.map((p) => {
    const received = p.received === undefined ? 'not set' : `"${p.received}"`;
    return `  ${p.source} is ${received}; expected ${p.expected}.`;
  });
  const noun = problems.length === 1 ? 'problem' : 'problems';
  return `invalid configuration (${problems.length} ${noun}):\n${lines.join('\n')}\n` +
    'Fix the values above on the container (env or args) and start again.';
}

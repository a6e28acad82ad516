import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

export const LOG_LEVELS: readonly LevelWithSilent[] =
  ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/**
 * JSON lines on stdout, one per event. Every line carries a stable `event` field set by the
 * caller; `msg` is a constant human sentence. pino's default destination buffers writes and
 * flushes them synchronously on `process.exit`, so the last lines are not lost; pass
 * `{ sync: true }` to write every line at once.
 */
export function createLogger(
  name: string,
  level: LevelWithSilent,
  options: LoggerOptions = {},
): Logger {
  const settings = {
    name,
    level,
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
  };
  if (options.sync !== true) return pino(settings);
  return pino(settings, pino.destination({ dest: 1, sync: true }));
}

export interface LoggerOptions {
  /**
   * Write each line with a blocking write instead of pino's buffered default (which flushes
   * on exit). Keeps lines in order with the output of child processes sharing stdout.
   */
  sync?: boolean;
}

import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

export const LOG_LEVELS: readonly LevelWithSilent[] =
  ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/**
 * JSON lines on stdout, one per event. Every line carries a stable `event` field set by the
 * caller; `msg` is a constant human sentence. pino's default destination writes
 * synchronously, so the last lines before `process.exit` are not lost.
 */
export function createLogger(name: string, level: LevelWithSilent): Logger {
  return pino({
    name,
    level,
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  });
}

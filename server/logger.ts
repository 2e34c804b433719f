// One logger for the whole server (pino): JSON lines on stdout, level from LOG_LEVEL.
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string = 'info'): Logger {
  return pino({ level, base: undefined });
}

/** A logger that says nothing, for tests. */
export const silentLogger: Logger = pino({ level: 'silent' });

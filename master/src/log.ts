import { pino, type Logger } from 'pino';

export type { Logger };

/** Levels accepted by LOG_LEVEL, quietest last. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The one logger factory: JSON lines on stdout, secrets redacted wherever they appear by name. */
export function createLogger(level: LogLevel = 'info', name = 'jonkkins'): Logger {
  return pino({
    name,
    level,
    redact: { paths: ['password', 'secret', '*.password', '*.secret', 'req.headers.authorization'], censor: '****' },
  });
}

// Structured logs (pino, JSON lines on stderr). The level comes from STRATA_LOG_LEVEL (default info); the CLI
// lowers it to warn while it draws progress bars.

import { pino, type Logger } from 'pino';

export type { Logger } from 'pino';

export function createLogger(name: string, level = process.env.STRATA_LOG_LEVEL ?? 'info'): Logger {
  return pino({ name, level, base: { pid: process.pid } }, pino.destination(2));
}

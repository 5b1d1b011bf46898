// Structured logs (pino, JSON lines on stderr); a pino logger fits @strata/shared's Logger. The level comes
// from STRATA_LOG_LEVEL (default info); the CLI lowers it to warn while it draws progress bars.

import { pino, type Logger } from 'pino';

/** pino's logger: the Logger interface plus flush(), setBindings() and the rest, for daemons. */
export type DaemonLogger = Logger;

export function createLogger(name: string, level = process.env.STRATA_LOG_LEVEL ?? 'info'): Logger {
  return pino({ name, level, base: { pid: process.pid } }, pino.destination(2));
}

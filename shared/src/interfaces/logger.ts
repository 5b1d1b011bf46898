// What the tiers log through: structured records (an object of fields, then a message). The Node runtime's
// pino logger fits it (@strata/runtime createLogger); a browser device can pass anything with these methods.

export interface LogFn {
  (fields: object, message?: string): void;
  (message: string): void;
}

export interface Logger {
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  /** A logger that adds `bindings` to every record. */
  child(bindings: Record<string, unknown>): Logger;
}

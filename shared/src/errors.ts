// Every failure Strata reports is a StrataError with a stable code (from the catalogue in error-codes.ts), so
// callers (and metrics) can tell kinds apart without parsing messages. One subclass per kind of failure.

import type { ErrorCode } from './error-codes.js';

export class StrataError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Malformed, truncated, oversized or inconsistent bytes on the wire. */
export class WireFormatError extends StrataError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('STRATA_ERR_WIRE_FORMAT', message, options);
  }
}

/**
 * A saved server state (a strategy's moments, a task's) that cannot be restored: its checksum fails, it is
 * truncated, it was written by another owner or layout, or an entry has the wrong size or impossible values.
 */
export class ServerStateError extends StrataError {
  constructor(message: string) {
    super('STRATA_ERR_SERVER_STATE', message);
  }
}

/** An invalid option, configuration file or command-line flag. */
export class ConfigError extends StrataError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('STRATA_ERR_CONFIG', message, options);
  }
}

/**
 * Why an update (or an evaluation answer) cannot count: NaN, a wrong shape, an unknown tensor, an answer to
 * another round or version (stale), from another sender than the link's, an impossible weight, impossible
 * evaluation figures, bytes that do not decode, or (asynchronous schedules) an update based on a model more
 * versions old than the staleness bound (too_stale).
 */
export type RejectionReason =
  | 'non_finite'
  | 'shape'
  | 'unknown_tensor'
  | 'stale'
  | 'too_stale'
  | 'sender'
  | 'bad_weight'
  | 'bad_metrics'
  | 'outside_scaffold'
  | 'bad_statistic'
  | 'malformed';

/** An update that cannot be aggregated, with the reason its receiver counts. */
export class InvalidUpdateError extends StrataError {
  constructor(
    readonly reason: RejectionReason,
    message: string,
  ) {
    super('STRATA_ERR_INVALID_UPDATE', message);
  }
}

/** A job payload or result that does not match its schema (a job from another version, a bad edge result). */
export class InvalidJobError extends StrataError {
  constructor(message: string) {
    super('STRATA_ERR_INVALID_JOB', message);
  }
}

/** Input data that cannot be read or parsed (missing file, bad row, bad field). */
export class DataError extends StrataError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('STRATA_ERR_DATA', message, options);
  }
}

/** A round, request or job did not finish before its deadline. */
export class RoundTimeoutError extends StrataError {
  constructor(message: string) {
    super('STRATA_ERR_TIMEOUT', message);
  }
}

// The two ways secure aggregation fails. A round that cannot finish correctly aborts and never outputs a
// sum (a wrong sum would be indistinguishable from a right one downstream); a single bad message is
// refused and the round goes on without its sender, as if that device had dropped out.

import { StrataError } from '../../errors.js';

export type SecureAggregationAbortReason =
  /** Fewer devices left than the threshold at some step: the sum would cover too few inputs. */
  | 'too_few_devices'
  /** A secret cannot be reconstructed: fewer than threshold shares of it came back. */
  | 'too_few_shares'
  /** A reconstructed secret does not match its commitment or public key: some share was wrong. */
  | 'share_mismatch'
  /** An encrypted share failed authentication, or was addressed to someone else. */
  | 'decryption_failed'
  /** A message out of turn, from an unknown party, duplicated, or inconsistent with the round. */
  | 'protocol_violation';

export class SecureAggregationAbortError extends StrataError {
  constructor(
    readonly reason: SecureAggregationAbortReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super('STRATA_ERR_SECAGG_ABORT', `secure aggregation aborted (${reason}): ${message}`, options);
  }
}

/** Why the edge refused one message: the reason its device's reply is counted under (strata_updates_rejected_total). */
export type SecureAggregationRefusal =
  /** A reply bound to another session (a replay from an earlier one, or a forgery). */
  | 'secagg_session'
  /** A reply that names another party than its link's, or shares naming parties that are not its neighbours. */
  | 'secagg_party'
  /** A message sent twice, or public keys another device already advertised. */
  | 'secagg_replay'
  /** Keys, commitments, sealed shares or a masked vector of the wrong size. */
  | 'secagg_length'
  /** A message of another step than the one the edge is at. */
  | 'secagg_turn';

/** A message the edge refuses (out of turn, unknown or duplicate sender, wrong size); the round goes on without it. */
export class SecureAggregationMessageError extends StrataError {
  constructor(
    readonly party: number,
    readonly reason: SecureAggregationRefusal,
    message: string,
  ) {
    super('STRATA_ERR_SECAGG_MESSAGE', `secure aggregation refused a message from party ${party} (${reason}): ${message}`);
  }
}

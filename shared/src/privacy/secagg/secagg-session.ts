// What both sides of a secure-aggregation round agree on before it starts: the session id that binds every
// key to this round, the graph degree and share threshold, and the masked vector's layout.

import type { MaskedVectorLayout } from './masked-vector-layout.js';

export interface SecAggSession {
  /** 32 bytes, unique per round and edge (sessionIdOf(`${roundId}/${region}/${iteration}`)). */
  readonly sessionId: Uint8Array;
  /** Graph degree k (even, or at least the number of parties for the complete graph). */
  readonly degree: number;
  /** Shamir threshold t: shares needed to reconstruct a secret; also the fewest inputs a sum may hold. */
  readonly threshold: number;
  readonly layout: MaskedVectorLayout;
}

// The messages of one SecAgg+ round, transport-free. Parties are numbered 1..n by the edge (the x of
// their Shamir shares); the edge relays everything between devices. Rounds (Bonawitz et al. 2017 / Bell et
// al. 2020, semi-honest; the consistency-check round against an actively malicious edge is not built):
//   0. advertise keys   device → edge: AdvertiseKeys;  edge → device: Roster (who is in, neighbours' keys)
//   1. share keys       device → edge: ShareKeys;      edge → device: ShareDelivery (its neighbours' sealed shares)
//   2. masked input     device → edge: MaskedInput;    edge → device: UnmaskRequest (who sent an input)
//   3. unmask           device → edge: UnmaskResponse; the edge reconstructs and outputs the sum

export interface AdvertiseKeys {
  readonly party: number;
  /** X25519 public key that seals shares. */
  readonly cipherPublicKey: Uint8Array;
  /** X25519 public key that agrees pairwise masks. */
  readonly maskPublicKey: Uint8Array;
}

export interface Roster {
  /** The receiving device's party number, when it advertised its keys before it had one. */
  readonly party?: number;
  /** Every party whose keys the edge accepted, ascending: the graph is built on this list. */
  readonly parties: readonly number[];
  /** The keys of the receiving party's neighbours. */
  readonly neighbourKeys: readonly AdvertiseKeys[];
}

export interface SealedShares {
  readonly from: number;
  readonly to: number;
  /** ChaCha20-Poly1305 over both shares (SEALED_SHARES_BYTES). */
  readonly ciphertext: Uint8Array;
}

export interface ShareKeys {
  readonly party: number;
  /** Commitment to the self-mask seed, checked against the reconstructed seed. */
  readonly seedCommitment: Uint8Array;
  /** One sealed pair of shares for each neighbour. */
  readonly shares: readonly SealedShares[];
}

export interface ShareDelivery {
  /** The sealed shares the party's neighbours sent it; their senders are its neighbours still in. */
  readonly shares: readonly SealedShares[];
}

export interface MaskedInput {
  readonly party: number;
  /** The masked fixed-point vector (layout length). */
  readonly words: Uint32Array;
}

export interface UnmaskRequest {
  /** Parties whose masked input the edge holds, ascending. */
  readonly survivors: readonly number[];
}

export interface RevealedShare {
  /** Whose secret this is a share of. */
  readonly owner: number;
  /** The share (SHARE_BYTES), at the revealing party's point. */
  readonly share: Uint8Array;
}

export interface UnmaskResponse {
  readonly party: number;
  /** Shares of survivors' self-mask seeds. */
  readonly selfSeedShares: readonly RevealedShare[];
  /** Shares of dropped neighbours' mask keys. */
  readonly maskKeyShares: readonly RevealedShare[];
}

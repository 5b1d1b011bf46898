// The SecAgg+ communication graph (Bell et al., CCS 2020): a random k-regular Harary graph. The parties are
// placed on a ring in a random order drawn from a public seed, and each is joined to the k/2 nearest on
// either side. A device masks with, and gives shares to, only its k neighbours, so its work grows with k
// instead of n. With k >= n - 1 it is the complete graph: the original protocol of Bonawitz et al. (CCS 2017).
// Every party computes the same graph from the same seed and roster, so the edge only relays the roster.

import { sha256 } from '@noble/hashes/sha2.js';
import { CryptoRandom } from '../crypto-random.js';

/** An unbiased integer in [0, n) by rejection sampling on 32-bit words. */
function uniformBelow(random: CryptoRandom, n: number): number {
  const limit = Math.floor(4294967296 / n) * n;
  for (;;) {
    const word = random.nextUint32();
    if (word < limit) return word % n;
  }
}

export class NeighbourGraph {
  private readonly adjacency = new Map<number, readonly number[]>();

  /**
   * The graph on `parties` (distinct ids) with every party of degree `degree` (even, or at least
   * parties - 1 for the complete graph), the ring order shuffled by a generator keyed with SHA-256 of `seed`.
   */
  constructor(
    parties: readonly number[],
    readonly degree: number,
    seed: Uint8Array,
  ) {
    const n = parties.length;
    if (new Set(parties).size !== n) throw new RangeError('graph parties must be distinct');
    if (!(Number.isInteger(degree) && degree >= 2 && (degree % 2 === 0 || degree >= n - 1))) {
      throw new RangeError(`degree must be an even integer >= 2 or at least ${n - 1} (complete), got ${degree}`);
    }
    const ring = [...parties].sort((a, b) => a - b);
    const random = CryptoRandom.fromSeed(sha256(seed));
    for (let i = n - 1; i > 0; i--) {
      const j = uniformBelow(random, i + 1);
      [ring[i], ring[j]] = [ring[j], ring[i]];
    }
    for (let i = 0; i < n; i++) {
      const neighbours = new Set<number>();
      if (degree >= n - 1) {
        for (const p of ring) if (p !== ring[i]) neighbours.add(p);
      } else {
        for (let d = 1; d <= degree / 2; d++) {
          neighbours.add(ring[(i + d) % n]);
          neighbours.add(ring[(i - d + n) % n]);
        }
      }
      this.adjacency.set(
        ring[i],
        [...neighbours].sort((a, b) => a - b),
      );
    }
  }

  get parties(): number[] {
    return [...this.adjacency.keys()].sort((a, b) => a - b);
  }

  /** The neighbours of `party`, ascending. */
  neighbours(party: number): readonly number[] {
    const list = this.adjacency.get(party);
    if (!list) throw new RangeError(`party ${party} is not in the graph`);
    return list;
  }

  areNeighbours(a: number, b: number): boolean {
    return this.adjacency.get(a)?.includes(b) ?? false;
  }
}

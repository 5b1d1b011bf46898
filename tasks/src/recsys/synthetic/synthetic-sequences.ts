// Synthetic time-ordered histories with a planted order: every item has one successor (a random cycle through
// all items), and each user's next item is the unvisited successor of the current one with probability
// `follow`, else a uniformly random unvisited item. A sequential model can learn the successor map; a model
// of who-likes-what (BPR-MF) cannot, so the gap between the two is checkable.

import { ConfigError, SeededRandom } from '@strata/shared';
import type { Interactions } from '../data/interactions.js';

export interface SyntheticSequenceOptions {
  readonly users: number;
  readonly items: number;
  /** Interactions per user (at most `items`). */
  readonly length: number;
  /** Probability of stepping to the current item's successor. */
  readonly follow: number;
  readonly seed: number;
}

export function generateSyntheticSequences(o: SyntheticSequenceOptions): Interactions {
  if (!(o.length >= 2 && o.length <= o.items)) throw new ConfigError(`length must be in [2, items = ${o.items}], got ${o.length}`);
  if (!(o.follow >= 0 && o.follow <= 1)) throw new ConfigError(`follow must be in [0, 1], got ${o.follow}`);
  const random = new SeededRandom(o.seed).fork('synthetic-sequences');
  const cycle = random.shuffle(Int32Array.from({ length: o.items }, (_, i) => i));
  const successor = new Int32Array(o.items);
  for (let k = 0; k < o.items; k++) successor[cycle[k]] = cycle[(k + 1) % o.items];
  const users = new Int32Array(o.users * o.length);
  const items = new Int32Array(o.users * o.length);
  const timestamps = new Float64Array(o.users * o.length);
  const visited = new Uint8Array(o.items);
  for (let u = 0; u < o.users; u++) {
    visited.fill(0);
    let current = random.int(o.items);
    for (let t = 0; t < o.length; t++) {
      const row = u * o.length + t;
      users[row] = u;
      items[row] = current;
      timestamps[row] = t;
      visited[current] = 1;
      const next = successor[current];
      if (visited[next] === 0 && random.next() < o.follow) current = next;
      else
        do current = random.int(o.items);
        while (visited[current] === 1 && t + 1 < o.length);
    }
  }
  return {
    numUsers: o.users,
    numItems: o.items,
    userIds: Array.from({ length: o.users }, (_, u) => String(u)),
    itemIds: Array.from({ length: o.items }, (_, i) => String(i)),
    users,
    items,
    timestamps,
    source: `synthetic sequences (${o.users} users, ${o.items} items, follow ${o.follow}, seed ${o.seed})`,
  };
}

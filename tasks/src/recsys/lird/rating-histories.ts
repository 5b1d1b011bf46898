// Each user's ratings in time order, a seeded fraction of them held out: the logs a LIRD user simulator is
// built from (the rest) and measured on (the held-out ratings it must predict).

import { ConfigError, DataError, SeededRandom } from '@strata/shared';
import type { Interactions, UserSplit } from '../data/interactions.js';

/** One user's ratings, oldest first; `heldOut[k]` marks the ones kept from the simulator. */
export interface RatingHistory {
  readonly items: Int32Array;
  readonly ratings: Float32Array;
  readonly heldOut: Uint8Array;
}

export interface RatingHistories {
  readonly numUsers: number;
  readonly numItems: number;
  readonly users: readonly RatingHistory[];
  /** The same split as item sets (train: the logged ratings the simulator and the embeddings learn from). */
  readonly split: UserSplit;
}

/**
 * Orders each user's ratings by timestamp (ties: the source's order) and holds out round(n × fraction) of
 * them at random (a stream per user id), at least one and at most n - 1 for users with two or more ratings.
 */
export function splitRatingHistories(data: Interactions, heldOutFraction: number, seed: number): RatingHistories {
  const ratings = data.ratings;
  if (!ratings) throw new DataError(`${data.source}: LIRD's user simulator needs ratings, and the source has no rating column`);
  if (!(heldOutFraction > 0 && heldOutFraction < 1)) throw new ConfigError(`heldOutFraction must be in (0, 1), got ${heldOutFraction}`);
  const rows: number[][] = Array.from({ length: data.numUsers }, () => []);
  for (let k = 0; k < data.users.length; k++) rows[data.users[k]].push(k);
  const random = new SeededRandom(seed).fork('lird-rating-split');
  const users = rows.map((userRows, u): RatingHistory => {
    userRows.sort((a, b) => data.timestamps[a] - data.timestamps[b]);
    const n = userRows.length;
    const heldOut = new Uint8Array(n);
    if (n >= 2) {
      const count = Math.min(n - 1, Math.max(1, Math.round(n * heldOutFraction)));
      const order = random.fork(data.userIds[u]).shuffle(Int32Array.from({ length: n }, (_, k) => k));
      for (let k = 0; k < count; k++) heldOut[order[k]] = 1;
    }
    return { items: Int32Array.from(userRows, (k) => data.items[k]), ratings: Float32Array.from(userRows, (k) => ratings[k]), heldOut };
  });
  const pick = (history: RatingHistory, held: number): Int32Array => history.items.filter((_, k) => history.heldOut[k] === held).sort();
  return {
    numUsers: data.numUsers,
    numItems: data.numItems,
    users,
    split: { numUsers: data.numUsers, numItems: data.numItems, train: users.map((h) => pick(h, 0)), test: users.map((h) => pick(h, 1)) },
  };
}

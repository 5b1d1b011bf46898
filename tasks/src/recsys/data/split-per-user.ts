// Seeded random hold-out per user: each user's items are shuffled and a `testFraction` of them held out.
// Users with fewer than 2 interactions keep everything in train (a user needs at least one training item
// to be scored and one test item to be evaluated; such users are skipped by evaluation).

import { ConfigError, SeededRandom } from '@strata/shared';
import type { Interactions, UserSplit } from './interactions.js';

export interface SplitOptions {
  /** Fraction of each user's items held out for testing, in (0, 1). Default 0.2. */
  readonly testFraction?: number;
  readonly seed: number;
}

/**
 * Splits each user's interactions: round(n * testFraction) test items, clamped to [1, n - 1] for n >= 2.
 * The result depends only on the data and the seed.
 */
export function splitPerUser(data: Interactions, options: SplitOptions): UserSplit {
  const testFraction = options.testFraction ?? 0.2;
  if (!(testFraction > 0 && testFraction < 1)) {
    throw new ConfigError(`testFraction must be in (0, 1), got ${testFraction}`);
  }
  const itemsByUser = groupItemsByUser(data);
  const base = new SeededRandom(options.seed).fork('split-per-user');
  const train: Int32Array[] = [];
  const test: Int32Array[] = [];
  for (let u = 0; u < data.numUsers; u++) {
    const items = itemsByUser[u];
    const n = items.length;
    if (n < 2) {
      train.push(items.slice());
      test.push(new Int32Array(0));
      continue;
    }
    // A stream per user (by original id): one user's split does not shift when others change.
    const shuffled = base.fork(data.userIds[u]).shuffle(items.slice());
    const numTest = Math.min(n - 1, Math.max(1, Math.round(n * testFraction)));
    test.push(shuffled.slice(0, numTest).sort());
    train.push(shuffled.slice(numTest).sort());
  }
  return { numUsers: data.numUsers, numItems: data.numItems, train, test };
}

/** Each user's distinct items, sorted ascending. */
export function groupItemsByUser(data: Interactions): Int32Array[] {
  const counts = new Int32Array(data.numUsers);
  for (let k = 0; k < data.users.length; k++) counts[data.users[k]]++;
  const out = Array.from(counts, (c) => new Int32Array(c));
  const fill = new Int32Array(data.numUsers);
  for (let k = 0; k < data.users.length; k++) {
    const u = data.users[k];
    out[u][fill[u]++] = data.items[k];
  }
  for (const items of out) items.sort();
  return out;
}

// A smaller data set for tests and quick runs: the first n users' interactions, every item kept (item indices
// unchanged, so embeddings and baselines built on the whole set still apply).

import { ConfigError } from '@strata/shared';
import type { Interactions } from './interactions.js';

export function firstUsers(data: Interactions, n: number): Interactions {
  if (!Number.isInteger(n) || n < 1 || n > data.numUsers) throw new ConfigError(`firstUsers: n must be in [1, ${data.numUsers}], got ${n}`);
  const kept = (k: number): boolean => data.users[k] < n;
  const { ratings } = data;
  return {
    ...data,
    numUsers: n,
    userIds: data.userIds.slice(0, n),
    users: data.users.filter((_, k) => kept(k)),
    items: data.items.filter((_, k) => kept(k)),
    timestamps: data.timestamps.filter((_, k) => kept(k)),
    ...(ratings ? { ratings: ratings.filter((_, k) => kept(k)) } : {}),
  };
}

// Options of the synthetic recommender data generator, validated with errors that name the option.

import { ConfigError } from '@strata/shared';

export interface SyntheticRecsysOptions {
  readonly users: number;
  readonly items: number;
  /** Dimension of the planted user and item factors. */
  readonly rank: number;
  /** User communities: users of one community share a centre in factor space (users are numbered by community). */
  readonly communities: number;
  /** Spread of a user's factors around its community centre (0: every member alike). */
  readonly communitySpread: number;
  /** Mean interactions per user (log-normally spread, at least `minInteractions`). */
  readonly interactionsPerUser: number;
  readonly minInteractions: number;
  /** Weight of the planted affinity against item popularity in each user's choice (0: popularity only). */
  readonly affinity: number;
  /** Zipf exponent of item popularity (0: every item equally popular). */
  readonly popularity: number;
  readonly seed: number;
}

export const DEFAULT_SYNTHETIC_RECSYS_OPTIONS: SyntheticRecsysOptions = {
  users: 1000,
  items: 1000,
  rank: 8,
  communities: 8,
  communitySpread: 0.5,
  interactionsPerUser: 25,
  minInteractions: 5,
  affinity: 3,
  popularity: 0.8,
  seed: 0,
};

export function resolveSyntheticRecsysOptions(options: Partial<SyntheticRecsysOptions> = {}): SyntheticRecsysOptions {
  const o: SyntheticRecsysOptions = { ...DEFAULT_SYNTHETIC_RECSYS_OPTIONS, ...options };
  for (const key of Object.keys(options)) {
    if (!(key in DEFAULT_SYNTHETIC_RECSYS_OPTIONS)) throw new ConfigError(`unknown synthetic data option "${key}"`);
  }
  const int = (name: keyof SyntheticRecsysOptions, min: number): void => {
    const v = o[name];
    if (!Number.isInteger(v) || v < min) throw new ConfigError(`synthetic data option ${name} must be an integer >= ${min}, got ${v}`);
  };
  const atLeastZero = (name: keyof SyntheticRecsysOptions): void => {
    const v = o[name];
    if (!(v >= 0 && Number.isFinite(v))) throw new ConfigError(`synthetic data option ${name} must be a finite number >= 0, got ${v}`);
  };
  int('users', 1);
  int('items', 2);
  int('rank', 1);
  int('communities', 1);
  int('minInteractions', 2);
  int('seed', 0);
  atLeastZero('communitySpread');
  atLeastZero('affinity');
  atLeastZero('popularity');
  if (o.communities > o.users)
    throw new ConfigError(`synthetic data option communities (${o.communities}) must not exceed users (${o.users})`);
  if (!(o.interactionsPerUser >= o.minInteractions)) {
    throw new ConfigError(
      `synthetic data option interactionsPerUser must be >= minInteractions (${o.minInteractions}), got ${o.interactionsPerUser}`,
    );
  }
  if (o.minInteractions >= o.items) {
    throw new ConfigError(`synthetic data option minInteractions (${o.minInteractions}) must be below items (${o.items})`);
  }
  return o;
}

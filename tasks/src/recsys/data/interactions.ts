// The in-memory shape of an implicit-feedback data set: who interacted with what. Loaders (RecBole atomic
// files, MovieLens formats, any delimited file) produce it; splits and models consume it.

export interface Interactions {
  /** Users and items re-indexed densely from 0; the original ids are kept for reporting. */
  readonly numUsers: number;
  readonly numItems: number;
  readonly userIds: readonly string[];
  readonly itemIds: readonly string[];
  /** One entry per (deduplicated) interaction. */
  readonly users: Int32Array;
  readonly items: Int32Array;
  /** Seconds since the epoch when the source has timestamps, else 0. */
  readonly timestamps: Float64Array;
  /** Each interaction's explicit rating, when the source has a rating column (what a user simulator learns from). */
  readonly ratings?: Float32Array;
  /** Where the data came from, for the run record. */
  readonly source: string;
  /** Rows skipped as unreadable (only when the source asked to skip them). */
  readonly skippedRows?: number;
}

/** Per-user train/test item lists (sorted ascending), e.g. a seeded random 80/20 split per user. */
export interface UserSplit {
  readonly numUsers: number;
  readonly numItems: number;
  readonly train: readonly Int32Array[];
  readonly test: readonly Int32Array[];
}

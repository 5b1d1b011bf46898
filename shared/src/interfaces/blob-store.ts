// Binary model blobs referenced by key (job data holds keys, never tensors). In memory for the embedded
// default; Redis in the distributed runtime. Both pass @strata/runtime/testing's blob-store contract.

import { ConfigError } from '../errors.js';

export interface BlobStore {
  /** Stores a copy of `value`; it expires after `ttlSeconds` (a positive number) when given. */
  put(key: string, value: Uint8Array, ttlSeconds?: number): Promise<void>;
  /** The blob, or undefined when the key is unknown or expired. Treat the bytes as read-only. */
  get(key: string): Promise<Uint8Array | undefined>;
  /** Whether the key holds a blob, without reading it (the coordinator checks its model survived). */
  has(key: string): Promise<boolean>;
  delete(key: string): Promise<void>;
  close(): Promise<void>;
}

/** `ttlSeconds` in whole milliseconds (at least 1), or undefined for no expiry. */
export function ttlMilliseconds(ttlSeconds: number | undefined): number | undefined {
  if (ttlSeconds === undefined) return undefined;
  if (!Number.isFinite(ttlSeconds) || ttlSeconds <= 0) {
    throw new ConfigError(`blob ttlSeconds must be a positive number, got ${ttlSeconds}`);
  }
  return Math.max(1, Math.round(ttlSeconds * 1000));
}

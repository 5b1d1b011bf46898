// Binary model blobs referenced by key (job data holds keys, never tensors). In memory for the embedded
// default; Redis in the distributed runtime. Both pass shared/src/testing/blob-store-contract.ts.

import { Redis } from 'ioredis';
import { ConfigError } from '../errors.js';

export interface BlobStore {
  /** Stores a copy of `value`; it expires after `ttlSeconds` (a positive number) when given. */
  put(key: string, value: Uint8Array, ttlSeconds?: number): Promise<void>;
  /** The blob, or undefined when the key is unknown or expired. Treat the bytes as read-only. */
  get(key: string): Promise<Uint8Array | undefined>;
  delete(key: string): Promise<void>;
  close(): Promise<void>;
}

/** `ttlSeconds` in whole milliseconds (at least 1), or undefined for no expiry. */
function ttlMilliseconds(ttlSeconds: number | undefined): number | undefined {
  if (ttlSeconds === undefined) return undefined;
  if (!Number.isFinite(ttlSeconds) || ttlSeconds <= 0) {
    throw new ConfigError(`blob ttlSeconds must be a positive number, got ${ttlSeconds}`);
  }
  return Math.max(1, Math.round(ttlSeconds * 1000));
}

export class InMemoryBlobStore implements BlobStore {
  private readonly blobs = new Map<string, { value: Uint8Array; expiresAt: number }>();

  async put(key: string, value: Uint8Array, ttlSeconds?: number): Promise<void> {
    const ttlMs = ttlMilliseconds(ttlSeconds);
    // A copy, as Redis keeps one: a caller reusing its buffer must not change what was stored.
    this.blobs.set(key, { value: value.slice(), expiresAt: ttlMs === undefined ? Infinity : Date.now() + ttlMs });
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    const entry = this.blobs.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now()) {
      this.blobs.delete(key);
      return undefined;
    }
    return entry.value;
  }

  async delete(key: string): Promise<void> {
    this.blobs.delete(key);
  }

  async close(): Promise<void> {
    this.blobs.clear();
  }
}

export interface RedisBlobStoreOptions {
  /** Where Redis listens (default redis://127.0.0.1:6379); unused when `redis` is given. */
  readonly url?: string;
  /** A client to share; the store then leaves closing it to whoever created it. */
  readonly redis?: Redis;
  /** Prepended to every key (default `strata:blob:`), so deployments and tests can share one Redis. */
  readonly prefix?: string;
}

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/** Blobs as Redis strings (binary-safe), with the TTL set atomically by the same SET. */
export class RedisBlobStore implements BlobStore {
  private readonly redis: Redis;
  private readonly ownsClient: boolean;
  private readonly prefix: string;

  constructor(options: RedisBlobStoreOptions = {}) {
    this.redis = options.redis ?? new Redis(options.url ?? DEFAULT_REDIS_URL);
    this.ownsClient = options.redis === undefined;
    this.prefix = options.prefix ?? 'strata:blob:';
  }

  async put(key: string, value: Uint8Array, ttlSeconds?: number): Promise<void> {
    const ttlMs = ttlMilliseconds(ttlSeconds);
    const bytes = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    if (ttlMs === undefined) await this.redis.set(this.prefix + key, bytes);
    else await this.redis.set(this.prefix + key, bytes, 'PX', ttlMs);
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    const bytes = await this.redis.getBuffer(this.prefix + key);
    // A plain Uint8Array view: Buffer's slice() shares memory where Uint8Array's copies, a trap for callers.
    return bytes === null ? undefined : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  async delete(key: string): Promise<void> {
    await this.redis.del(this.prefix + key);
  }

  async close(): Promise<void> {
    if (this.ownsClient && this.redis.status !== 'end') await this.redis.quit();
  }
}

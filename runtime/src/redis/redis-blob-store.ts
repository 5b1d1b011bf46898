// The distributed blob store: blobs as Redis strings.

import { Redis } from 'ioredis';
import { ttlMilliseconds, type BlobStore } from '@strata/shared';
import { DEFAULT_REDIS_URL } from './redis-url.js';

export interface RedisBlobStoreOptions {
  /** Where Redis listens (default redis://127.0.0.1:6379); unused when `redis` is given. */
  readonly url?: string;
  /** A client to share; the store then leaves closing it to whoever created it. */
  readonly redis?: Redis;
  /** Prepended to every key (default `strata:blob:`), so deployments and tests can share one Redis. */
  readonly prefix?: string;
}

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

  async has(key: string): Promise<boolean> {
    return (await this.redis.exists(this.prefix + key)) === 1;
  }

  async delete(key: string): Promise<void> {
    await this.redis.del(this.prefix + key);
  }

  async close(): Promise<void> {
    if (this.ownsClient && this.redis.status !== 'end') await this.redis.quit();
  }
}

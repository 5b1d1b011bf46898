// The embedded blob store: copies of the blobs in a Map, with the same expiry semantics as Redis.

import { ttlMilliseconds, type BlobStore } from '@strata/shared';

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

  async has(key: string): Promise<boolean> {
    return (await this.get(key)) !== undefined;
  }

  async delete(key: string): Promise<void> {
    this.blobs.delete(key);
  }

  async close(): Promise<void> {
    this.blobs.clear();
  }
}

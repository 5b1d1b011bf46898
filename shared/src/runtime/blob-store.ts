// Binary model blobs referenced by key (job data holds keys, never tensors). In memory for the embedded
// default; Redis in the distributed runtime.

export interface BlobStore {
  put(key: string, value: Uint8Array, ttlSeconds?: number): Promise<void>;
  /** The blob, or undefined when the key is unknown or expired. */
  get(key: string): Promise<Uint8Array | undefined>;
  delete(key: string): Promise<void>;
  close(): Promise<void>;
}

export class InMemoryBlobStore implements BlobStore {
  private readonly blobs = new Map<string, { value: Uint8Array; expiresAt: number }>();

  async put(key: string, value: Uint8Array, ttlSeconds?: number): Promise<void> {
    this.blobs.set(key, { value, expiresAt: ttlSeconds ? Date.now() + ttlSeconds * 1000 : Infinity });
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

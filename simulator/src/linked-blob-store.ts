// An edge's view of the blob store in a simulation: the store lives in the cloud, so a blob the edge reads
// (the global model) crosses the edge-cloud route down before the read completes, and a blob it writes (its
// update) crosses up before it is stored. A slow backhaul costs simulated time here, and its bytes are counted.

import type { BlobStore } from '@strata/shared';
import type { Route, SimNetwork } from './sim-network.js';

export class LinkedBlobStore implements BlobStore {
  constructor(
    private readonly inner: BlobStore,
    private readonly network: SimNetwork,
    private readonly route: Route,
  ) {}

  async put(key: string, value: Uint8Array, ttlSeconds?: number): Promise<void> {
    await this.network.carry(this.route, 'up', value.byteLength);
    await this.inner.put(key, value, ttlSeconds);
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    const value = await this.inner.get(key);
    if (value) await this.network.carry(this.route, 'down', value.byteLength);
    return value;
  }

  has(key: string): Promise<boolean> {
    return this.inner.has(key);
  }

  delete(key: string): Promise<void> {
    return this.inner.delete(key);
  }

  /** The shared store is closed by its owner. */
  async close(): Promise<void> {}
}

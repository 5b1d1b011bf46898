// A BlobStore that tells how many bytes went in and out, so a daemon can count its edge <-> cloud traffic
// (which travels through Redis, not through a transport it could ask).

import type { BlobStore } from '@strata/shared';

export interface BlobTraffic {
  written?(bytes: number): void;
  read?(bytes: number): void;
}

export function countingBlobStore(store: BlobStore, traffic: BlobTraffic): BlobStore {
  return {
    put: async (key, value, ttlSeconds) => {
      await store.put(key, value, ttlSeconds);
      traffic.written?.(value.byteLength);
    },
    get: async (key) => {
      const value = await store.get(key);
      if (value) traffic.read?.(value.byteLength);
      return value;
    },
    has: (key) => store.has(key),
    delete: (key) => store.delete(key),
    close: () => store.close(),
  };
}

// The behaviour every BlobStore implementation must have (in-memory and Redis run the same tests).

import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, type BlobStore } from '@strata/shared';
import { seededBytes } from './seeded-bytes.js';
import { waitFor } from './wait-for.js';

export function describeBlobStoreContract(name: string, create: () => Promise<BlobStore>): void {
  describe(`BlobStore contract: ${name}`, () => {
    const stores: BlobStore[] = [];
    const make = async (): Promise<BlobStore> => {
      const store = await create();
      stores.push(store);
      return store;
    };
    after(async () => {
      for (const store of stores) await store.close();
    });

    test('binary values come back byte for byte, and a deleted or unknown key is undefined', async () => {
      const store = await make();
      const every = Uint8Array.from({ length: 512 }, (_, i) => i % 256);
      await store.put('every-byte', every);
      await store.put('empty', new Uint8Array(0));
      assert.deepEqual(await store.get('every-byte'), every);
      assert.deepEqual(await store.get('empty'), new Uint8Array(0));
      assert.equal(await store.get('never-put'), undefined);
      assert.deepEqual([await store.has('every-byte'), await store.has('empty'), await store.has('never-put')], [true, true, false]);
      await store.delete('every-byte');
      assert.equal(await store.get('every-byte'), undefined);
      assert.equal(await store.has('every-byte'), false);
      await store.delete('never-put');
    });

    test('a model-sized blob round-trips and a later put replaces it', async () => {
      const store = await make();
      const model = seededBytes(11, 8 * 1024 * 1024 + 3);
      await store.put('model', model);
      const back = await store.get('model');
      assert.ok(back instanceof Uint8Array);
      assert.equal(Buffer.compare(back, model), 0);
      await store.put('model', new Uint8Array([9]));
      assert.deepEqual(await store.get('model'), new Uint8Array([9]));
    });

    test('put stores a copy of exactly the view it was given', async () => {
      const store = await make();
      const backing = new Uint8Array([1, 2, 3, 4, 5, 6]);
      await store.put('view', backing.subarray(2, 5));
      backing.fill(0);
      assert.deepEqual(await store.get('view'), new Uint8Array([3, 4, 5]));
    });

    test('a blob with a TTL expires and one without stays', async () => {
      const store = await make();
      await store.put('short', new Uint8Array([1]), 0.05);
      await store.put('kept', new Uint8Array([2]));
      await store.put('long', new Uint8Array([3]), 3600);
      await waitFor(async () => (await store.get('short')) === undefined, 'the 50 ms blob to expire');
      assert.deepEqual(await store.get('kept'), new Uint8Array([2]));
      assert.deepEqual(await store.get('long'), new Uint8Array([3]));
    });

    test('a TTL that is not a positive number is refused, naming the value', async () => {
      const store = await make();
      for (const ttl of [0, -1, Number.NaN]) {
        await assert.rejects(store.put('bad-ttl', new Uint8Array([1]), ttl), (error: unknown) => {
          assert.ok(error instanceof ConfigError);
          assert.match(error.message, new RegExp(`got ${ttl}`));
          return true;
        });
      }
      assert.equal(await store.get('bad-ttl'), undefined);
    });
  });
}

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { InMemoryBlobStore, RedisBlobStore } from '../src/index.js';
import { deleteRedisKeys, describeBlobStoreContract, requireRedis, TEST_REDIS_URL, uniqueRedisPrefix } from '../src/testing/index.js';

const prefix = uniqueRedisPrefix('blob');
before(() => requireRedis());
after(async () => {
  await deleteRedisKeys(prefix);
});

describeBlobStoreContract('in-memory', async () => new InMemoryBlobStore());
describeBlobStoreContract('redis', async () => new RedisBlobStore({ url: TEST_REDIS_URL, prefix }));

test('redis stores with different prefixes do not see each other, and cleanup leaves no key behind', async () => {
  const [p1, p2] = [uniqueRedisPrefix('blob-a'), uniqueRedisPrefix('blob-b')];
  const a = new RedisBlobStore({ url: TEST_REDIS_URL, prefix: p1 });
  const b = new RedisBlobStore({ url: TEST_REDIS_URL, prefix: p2 });
  try {
    await a.put('model', new Uint8Array([1]));
    assert.equal(await b.get('model'), undefined);
    assert.deepEqual(await a.get('model'), new Uint8Array([1]));
  } finally {
    await a.close();
    await b.close();
  }
  assert.equal(await deleteRedisKeys(p1), 1);
  assert.equal(await deleteRedisKeys(p1), 0);
  assert.equal(await deleteRedisKeys(p2), 0);
});

import { before, after } from 'node:test';
import { InMemoryStateStore, RedisStateStore } from '../src/index.js';
import { deleteRedisKeys, describeStateStoreContract, requireRedis, TEST_REDIS_URL, uniqueRedisPrefix } from '../src/testing/index.js';

describeStateStoreContract('in memory', async () => new InMemoryStateStore());

const prefix = uniqueRedisPrefix('state');
let counter = 0;
before(() => requireRedis());
after(() => deleteRedisKeys(prefix));
describeStateStoreContract('redis', async () => new RedisStateStore({ url: TEST_REDIS_URL, prefix: `${prefix}${++counter}:` }));

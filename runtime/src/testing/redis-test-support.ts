// Helpers for tests that need a real Redis: a clear failure when none is running, key prefixes no other
// test uses, and cleanup of every key a test created.

import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

/** The Redis the tests use: STRATA_TEST_REDIS_URL, or the one .ci/run starts. */
export const TEST_REDIS_URL = process.env.STRATA_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Resolves when Redis answers PING; otherwise rejects with an error that says how to start one. */
export async function requireRedis(url = TEST_REDIS_URL): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, connectTimeout: 2000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  let lastError: unknown;
  redis.on('error', (error: unknown) => {
    lastError = error; // more telling (ECONNREFUSED ...) than the rejection of connect()
  });
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    const reason = lastError ?? error;
    const cause = reason instanceof Error ? reason.message : String(reason);
    throw new Error(
      `Redis is not reachable at ${url} (${cause}): these tests need one. Start it with ` +
        '`redis-server --daemonize yes --save "" --appendonly no` (.ci/run starts one), ' +
        'or point STRATA_TEST_REDIS_URL at another.',
    );
  } finally {
    redis.disconnect();
  }
}

/** A key prefix unique to this call, ending in ':'. */
export function uniqueRedisPrefix(label: string): string {
  return `strata-test:${label}:${process.pid}-${randomBytes(4).toString('hex')}:`;
}

/** Deletes every key that starts with `prefix` (SCAN, never KEYS: safe on a shared Redis); returns how many. */
export async function deleteRedisKeys(prefix: string, url = TEST_REDIS_URL): Promise<number> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  let deleted = 0;
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${escapeGlob(prefix)}*`, 'COUNT', 500);
      if (keys.length > 0) deleted += await redis.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    await redis.quit();
  }
  return deleted;
}

function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}

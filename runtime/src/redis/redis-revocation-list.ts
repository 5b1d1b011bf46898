// Revoked credentials as a Redis set of credential ids: `strata credentials revoke` adds one, every edge
// reads the set at each handshake, so a revocation takes effect fleet-wide without restarting anything.

import { Redis } from 'ioredis';
import type { RevocationList } from '../identity/credential-verifier.js';
import { DEFAULT_REDIS_URL } from './redis-url.js';

export interface RedisRevocationListOptions {
  readonly url?: string;
  /** The set's key (redisLayout's revokedCredentialsKey for a deployment). */
  readonly key: string;
}

export class RedisRevocationList implements RevocationList {
  private readonly redis: Redis;
  private readonly key: string;

  constructor(options: RedisRevocationListOptions) {
    this.redis = new Redis(options.url ?? DEFAULT_REDIS_URL, { lazyConnect: true });
    this.key = options.key;
  }

  async isRevoked(jti: string): Promise<boolean> {
    return (await this.redis.sismember(this.key, jti)) === 1;
  }

  async revoke(jti: string): Promise<void> {
    await this.redis.sadd(this.key, jti);
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }
}

// The distributed coordinator state on Redis: what a restarted coordinator resumes from.

import { Redis } from 'ioredis';
import { checkLeaseTtl, ConfigError, type CoordinatorState, type RoundRecord, type StateStore } from '@strata/shared';
import { DEFAULT_REDIS_URL } from './redis-url.js';

export interface RedisStateStoreOptions {
  /** Where Redis listens (default redis://127.0.0.1:6379). */
  readonly url?: string;
  /** Prepended to the store's keys (default `strata:coordinator:`): one deployment, one prefix. */
  readonly prefix?: string;
}

// Take the lease when free or already ours (extending it); compare-and-delete to release it. Scripts, so
// that a lease expiring between the read and the write cannot be taken from its new owner.
const ACQUIRE = `
local holder = redis.call('GET', KEYS[1])
if holder == false or holder == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0`;
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/** The state as one JSON string, the records as one hash field per round, the lease as a key with a TTL. */
export class RedisStateStore implements StateStore {
  private readonly redis: Redis;
  private readonly keys: { state: string; rounds: string; lease: string };

  constructor(options: RedisStateStoreOptions = {}) {
    const prefix = options.prefix ?? 'strata:coordinator:';
    if (prefix.length === 0) throw new ConfigError('RedisStateStore prefix must not be empty');
    this.redis = new Redis(options.url ?? DEFAULT_REDIS_URL);
    this.keys = { state: `${prefix}state`, rounds: `${prefix}rounds`, lease: `${prefix}lease` };
  }

  async load(): Promise<CoordinatorState | undefined> {
    const json = await this.redis.get(this.keys.state);
    return json === null ? undefined : (JSON.parse(json) as CoordinatorState);
  }

  async save(state: CoordinatorState, record?: RoundRecord): Promise<void> {
    const transaction = this.redis.multi().set(this.keys.state, JSON.stringify(state));
    if (record) transaction.hset(this.keys.rounds, String(record.round), JSON.stringify(record));
    const results = await transaction.exec();
    const failed = results?.find(([error]) => error !== null);
    if (!results || failed) throw failed?.[0] ?? new Error('Redis transaction aborted');
  }

  async rounds(): Promise<RoundRecord[]> {
    const fields = await this.redis.hvals(this.keys.rounds);
    return fields.map((json) => JSON.parse(json) as RoundRecord).sort((a, b) => a.round - b.round);
  }

  async acquireLease(owner: string, ttlMs: number): Promise<boolean> {
    checkLeaseTtl(ttlMs);
    return (await this.redis.eval(ACQUIRE, 1, this.keys.lease, owner, String(ttlMs))) === 1;
  }

  async releaseLease(owner: string): Promise<void> {
    await this.redis.eval(RELEASE, 1, this.keys.lease, owner);
  }

  async clear(): Promise<void> {
    await this.redis.del(this.keys.state, this.keys.rounds);
  }

  async close(): Promise<void> {
    if (this.redis.status !== 'end') await this.redis.quit();
  }
}

// The coordinator's durable state: the model version, the last committed round, the flow in flight (so a
// restarted coordinator waits for the same flow rather than starting the round again), the per-round records,
// and a lease that keeps a second coordinator from running the same deployment at once. In memory for the
// embedded default; Redis in the distributed runtime. Both pass coordinator/test/state-store.test.ts.
// Model blobs themselves live in the BlobStore, keyed by version.

import { Redis } from 'ioredis';
import { ConfigError, DEFAULT_REDIS_URL, type RoundRecord } from '@strata/shared';

/** A cloud round's flow that was added and not yet collected. */
export interface FlowInFlight {
  readonly kind: 'edge-round' | 'edge-evaluate';
  readonly round: number;
  readonly roundId: string;
  /**
   * The id the coordinator gives the flow's parent (children: `<flowId>-<i>`), saved before the flow is
   * added: a successor adds the flow again under the same ids, which adds nothing if it was added.
   */
  readonly flowId: string;
  /** The round's deadline (epoch ms on the coordinator's clock); a resumed wait keeps it. */
  readonly deadline: number;
  /** When the flow was added (epoch ms, wall time), so a resumed round reports its whole duration. */
  readonly startedAt: number;
}

export interface CoordinatorState {
  /** Identifies the run configuration that wrote this state; a coordinator with another one refuses it. */
  readonly configHash: string;
  /** The global model's version; its blob is at modelBlobKey(version). */
  readonly version: number;
  /** The last round whose aggregation is committed (0 before the first). */
  readonly round: number;
  readonly flow?: FlowInFlight;
}

export interface StateStore {
  load(): Promise<CoordinatorState | undefined>;
  /** Replaces the state and, when given, stores `record` (replacing the record of its round), atomically. */
  save(state: CoordinatorState, record?: RoundRecord): Promise<void>;
  /** Every stored round record, by round. */
  rounds(): Promise<RoundRecord[]>;
  /**
   * Takes (or, for its holder, extends) the lease for `ttlMs`; false while another owner holds it. A holder
   * that stops renewing loses it after ttlMs, which is how a killed coordinator's successor gets in.
   */
  acquireLease(owner: string, ttlMs: number): Promise<boolean>;
  /** Gives the lease up if `owner` holds it. */
  releaseLease(owner: string): Promise<void>;
  /** Forgets the state and the records (a new run on the same store). */
  clear(): Promise<void>;
  close(): Promise<void>;
}

function checkTtl(ttlMs: number): void {
  if (!Number.isSafeInteger(ttlMs) || ttlMs <= 0) throw new ConfigError(`lease ttlMs must be a positive integer, got ${ttlMs}`);
}

/** JSON copies in and out, as Redis stores them: a caller mutating what it saved or loaded changes nothing. */
const copy = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

export class InMemoryStateStore implements StateStore {
  private state: CoordinatorState | undefined;
  private readonly records = new Map<number, RoundRecord>();
  private lease: { owner: string; expiresAt: number } | undefined;

  async load(): Promise<CoordinatorState | undefined> {
    return this.state === undefined ? undefined : copy(this.state);
  }

  async save(state: CoordinatorState, record?: RoundRecord): Promise<void> {
    this.state = copy(state);
    if (record) this.records.set(record.round, copy(record));
  }

  async rounds(): Promise<RoundRecord[]> {
    return [...this.records.values()].sort((a, b) => a.round - b.round).map(copy);
  }

  async acquireLease(owner: string, ttlMs: number): Promise<boolean> {
    checkTtl(ttlMs);
    const now = Date.now();
    if (this.lease && this.lease.expiresAt > now && this.lease.owner !== owner) return false;
    this.lease = { owner, expiresAt: now + ttlMs };
    return true;
  }

  async releaseLease(owner: string): Promise<void> {
    if (this.lease?.owner === owner) this.lease = undefined;
  }

  async clear(): Promise<void> {
    this.state = undefined;
    this.records.clear();
  }

  async close(): Promise<void> {}
}

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
    checkTtl(ttlMs);
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

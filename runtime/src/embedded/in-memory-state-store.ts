// The embedded coordinator state: JSON copies in memory (survives nothing; the embedded runtime never resumes).

import { checkLeaseTtl, type CoordinatorState, type RoundRecord, type StateStore } from '@strata/shared';

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
    checkLeaseTtl(ttlMs);
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

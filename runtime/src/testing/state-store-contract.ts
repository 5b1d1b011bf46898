// The StateStore contract, which the in-memory and the Redis store both pass: what a restarted coordinator
// relies on.

import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import type { CoordinatorState, RoundRecord, StateStore } from '@strata/shared';

const record = (round: number, loss: number): RoundRecord => ({
  round,
  wallSeconds: 1,
  bytes: { deviceEdge: 10, edgeCloud: 5 },
  metrics: { loss },
});

export function describeStateStoreContract(name: string, create: () => Promise<StateStore>): void {
  describe(`StateStore contract: ${name}`, () => {
    const stores: StateStore[] = [];
    const make = async (): Promise<StateStore> => {
      const store = await create();
      stores.push(store);
      return store;
    };
    after(async () => {
      for (const store of stores) await store.close();
    });

    test('an empty store has no state and no rounds', async () => {
      const store = await make();
      assert.equal(await store.load(), undefined);
      assert.deepEqual(await store.rounds(), []);
    });

    test('state and round records round-trip; a record of the same round replaces the old one', async () => {
      const store = await make();
      const flow = { kind: 'edge-round', round: 2, roundId: 'r2-v1', flowId: 'r2-v1-5f1c', deadline: 1e12, startedAt: 5 } as const;
      await store.save({ configHash: 'abc', version: 1, round: 1 }, record(1, 0.5));
      await store.save({ configHash: 'abc', version: 1, round: 1, flow });
      await store.save({ configHash: 'abc', version: 2, round: 2 }, record(2, 0.4));
      await store.save({ configHash: 'abc', version: 2, round: 2 }, { ...record(2, 0.4), metrics: { loss: 0.4, 'recall@20': 0.1 } });
      assert.deepEqual(await store.load(), { configHash: 'abc', version: 2, round: 2 });
      assert.deepEqual(await store.rounds(), [record(1, 0.5), { ...record(2, 0.4), metrics: { loss: 0.4, 'recall@20': 0.1 } }]);
    });

    test('saved values are copies: mutating them afterwards changes nothing stored', async () => {
      const store = await make();
      const state: { -readonly [K in keyof CoordinatorState]: CoordinatorState[K] } = { configHash: 'h', version: 3, round: 3 };
      const saved = record(3, 1);
      await store.save(state, saved);
      state.version = 99;
      saved.metrics.loss = 99;
      assert.equal((await store.load())?.version, 3);
      assert.equal((await store.rounds())[0].metrics.loss, 1);
    });

    test('the lease: one holder at a time, renewable by its holder, free once released or expired', async () => {
      const store = await make();
      assert.equal(await store.acquireLease('a', 10_000), true);
      assert.equal(await store.acquireLease('b', 10_000), false);
      assert.equal(await store.acquireLease('a', 10_000), true, 'the holder extends its lease');
      await store.releaseLease('b'); // not the holder: no effect
      assert.equal(await store.acquireLease('b', 10_000), false);
      await store.releaseLease('a');
      assert.equal(await store.acquireLease('b', 50), true);
      await new Promise((resolve) => setTimeout(resolve, 120));
      assert.equal(await store.acquireLease('c', 10_000), true, 'an expired lease is free');
      await assert.rejects(store.acquireLease('c', 0), /ttlMs must be a positive integer, got 0/);
    });

    test('clear forgets the state and the records', async () => {
      const store = await make();
      await store.save({ configHash: 'x', version: 1, round: 1 }, record(1, 1));
      await store.clear();
      assert.equal(await store.load(), undefined);
      assert.deepEqual(await store.rounds(), []);
    });
  });
}

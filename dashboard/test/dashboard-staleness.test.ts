// The dashboard's rounds carry the staleness of asynchronous rounds (what its staleness chart plots), the
// edges' (device updates) and the cloud's (edge results) apart, and nothing for synchronous ones; a malformed
// staleness in a record is left out, not shown as numbers.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DashboardState, type DashboardRunInfo } from '../src/server/index.js';

const RUN: DashboardRunInfo = {
  task: 'recsys/bpr-mf',
  mode: 'embedded',
  phase: 'training',
  startedAt: 0,
  rounds: 3,
  regions: ['r1'],
  headlineMetrics: ['recall@20'],
  schedule: { kappa1: 1, kappa2: 1, fraction: 1, quorum: 1 },
};

test('committed rounds carry the staleness mean and max of asynchronous rounds only', () => {
  const state = new DashboardState(RUN, () => 10_000);
  const round = { wallSeconds: 1, metrics: { loss: 0.5 }, bytes: { deviceEdge: 10, edgeCloud: 2 } };
  state.roundCommitted({ ...round, round: 1, staleness: { updates: 40, mean: 2.5, max: 9 } });
  state.roundCommitted({ ...round, round: 2 });
  state.roundCommitted({ ...round, round: 3, staleness: { mean: 'high' } });
  const [first, second, third] = state.snapshot().rounds;
  assert.deepEqual(first.staleness, { mean: 2.5, max: 9 });
  assert.equal(second.staleness, undefined);
  assert.equal(third.staleness, undefined);
});

test("an asynchronous cloud's staleness is carried apart from the edges'", () => {
  const state = new DashboardState(RUN, () => 10_000);
  const round = { wallSeconds: 1, metrics: { loss: 0.5 }, bytes: { deviceEdge: 10, edgeCloud: 2 } };
  state.roundCommitted({ ...round, round: 1, cloudStaleness: { updates: 3, mean: 1 / 3, max: 1 } });
  state.roundCommitted({ ...round, round: 2, staleness: { updates: 4, mean: 2, max: 3 }, cloudStaleness: { updates: 2, mean: 0, max: 0 } });
  state.roundCommitted({ ...round, round: 3, cloudStaleness: { max: '1' } });
  const [first, second, third] = state.snapshot().rounds;
  assert.deepEqual(first.cloudStaleness, { mean: 1 / 3, max: 1 });
  assert.equal(first.staleness, undefined);
  assert.deepEqual(second.staleness, { mean: 2, max: 3 });
  assert.deepEqual(second.cloudStaleness, { mean: 0, max: 0 });
  assert.equal('cloudStaleness' in third, false, 'a malformed cloud staleness is left out');
});

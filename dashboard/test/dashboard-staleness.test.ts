// The dashboard's rounds carry the staleness of asynchronous rounds (what its staleness chart plots) and
// nothing for synchronous ones; a malformed staleness in a record is left out, not shown as numbers.

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

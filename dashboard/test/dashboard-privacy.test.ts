// The dashboard's rounds carry the ε a central-DP run had spent after each round (what its summary and
// privacy chart show), read from the run record's `privacy`; runs without DP carry none, and a malformed
// record is left out rather than shown.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DashboardState, type DashboardRunInfo } from '../src/server/index.js';

const RUN: DashboardRunInfo = {
  task: 'recsys/bpr-mf',
  mode: 'embedded',
  phase: 'training',
  startedAt: 0,
  rounds: 4,
  regions: ['r1'],
  headlineMetrics: ['recall@20'],
  schedule: { kappa1: 1, kappa2: 1, fraction: 1, quorum: 1 },
};

test('committed rounds carry the ε spent so far and δ of central-DP rounds only', () => {
  const state = new DashboardState(RUN, () => 10_000);
  const round = { wallSeconds: 1, metrics: { loss: 0.5 }, bytes: { deviceEdge: 10, edgeCloud: 2 } };
  const release = { delta: 1e-5, samplingRate: 0.1, noiseMultiplier: 1.1, clipNorm: 0.5, devices: 94 };
  state.roundCommitted({ ...round, round: 1, privacy: { ...release, epsilon: 0.42 } });
  state.roundCommitted({ ...round, round: 2, privacy: { ...release, epsilon: 0.61 } });
  state.roundCommitted({ ...round, round: 3 });
  state.roundCommitted({ ...round, round: 4, privacy: { epsilon: 'a lot', delta: 1e-5 } });
  const rounds = state.snapshot().rounds;
  assert.deepEqual(
    rounds.map((r) => r.privacy),
    [{ epsilon: 0.42, delta: 1e-5 }, { epsilon: 0.61, delta: 1e-5 }, undefined, undefined],
  );
});

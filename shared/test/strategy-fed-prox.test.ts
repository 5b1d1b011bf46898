import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FedAvg, FedProx } from '../src/index.js';
import { update, vec } from './aggregation-fixtures.js';

test('fedprox sends mu to devices as proximalMu and aggregates like FedAvg', () => {
  assert.deepEqual(new FedProx({ mu: 0.1 }).clientOptions(), { proximalMu: 0.1 });
  assert.deepEqual(new FedProx().clientOptions(), { proximalMu: 0.01 });
  const updates = [update(1, { w: vec([1, 2]) }), update(3, { w: vec([5, -2]) })];
  assert.deepEqual(new FedProx({ mu: 1 }).aggregate(updates), new FedAvg().aggregate(updates));
});

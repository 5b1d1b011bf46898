// The edge's DP step: every device update clipped to C (sparse rows and dense tensors together), summed
// with weight 1 each, so one device moves the sum by at most C.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { updateL2Norm, type ModelUpdate } from '@strata/shared';
import { privateDeviceSum } from '../src/private-device-sum.js';

function update(scale: number, row: number, weight: number): ModelUpdate {
  return {
    delta: new Map([
      ['items', { kind: 'sparse', shape: [4, 2], rows: new Uint32Array([row]), values: new Float32Array([3 * scale, 4 * scale]) }],
      ['bias', { kind: 'dense', shape: [1], values: new Float32Array([0]) }],
    ]),
    weight,
    metrics: { loss: weight * 0.5 },
  };
}

test('updates are clipped to the clip norm and summed with weight 1 each, dense', () => {
  const { sum, clipped } = privateDeviceSum([update(2, 0, 10), update(0.1, 3, 30), update(1, 0, 1)], 1);
  assert.equal(clipped, 2); // norms 10 and 5 scaled to 1; 0.5 left alone
  const items = sum.delta.get('items')!;
  assert.equal(items.kind, 'dense');
  const v = items.values;
  // row 0: two updates of direction (0.6, 0.8) clipped to norm 1 each; row 3: (0.3, 0.4) unclipped
  assert.ok(Math.abs(v[0] - 1.2) < 1e-5 && Math.abs(v[1] - 1.6) < 1e-5, `row 0 ${v.subarray(0, 2)}`);
  assert.ok(Math.abs(v[6] - 0.3) < 1e-6 && Math.abs(v[7] - 0.4) < 1e-6, `row 3 ${v.subarray(6, 8)}`);
  assert.equal(sum.weight, 41);
  assert.equal(sum.metrics.loss, 20.5);
});

test('removing one device moves the sum by at most the clip norm', () => {
  const devices = [update(50, 1, 1), update(0.01, 2, 1), update(7, 1, 1)];
  const all = privateDeviceSum(devices, 0.8).sum;
  const without = privateDeviceSum(devices.slice(1), 0.8).sum;
  const difference: ModelUpdate = {
    delta: new Map(
      [...all.delta].map(([name, t]) => [name, { ...t, values: t.values.map((x, i) => x - without.delta.get(name)!.values[i]) }]),
    ),
    weight: 1,
    metrics: {},
  };
  assert.ok(updateL2Norm(difference) <= 0.8 + 1e-6);
});

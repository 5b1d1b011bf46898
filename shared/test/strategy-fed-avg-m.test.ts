import { test } from 'node:test';
import { FedAvgM, dense, type ModelParams } from '../src/index.js';
import { assertClose, rowsOf, update, vec } from './aggregation-fixtures.js';

test('fedavgm: v = momentum * v + delta, model += serverLr * v, across rounds', () => {
  const strategy = new FedAvgM({ momentum: 0.5, serverLr: 1 });
  const model: ModelParams = new Map([['w', vec([0, 0])]]);
  // round 1: v = [2, -2], model = [2, -2]
  strategy.apply(model, strategy.aggregate([update(1, { w: vec([2, -2]) })]));
  assertClose(model.get('w')?.values ?? [], [2, -2]);
  // round 2: v = 0.5*[2, -2] + [1, 0] = [2, -1], model = [4, -3]
  strategy.apply(model, strategy.aggregate([update(1, { w: vec([1, 0]) })]));
  assertClose(model.get('w')?.values ?? [], [4, -3]);
});

test('fedavgm: momentum on sparse rows is lazy: absent rows neither move nor lose their velocity', () => {
  const shape = [3, 1];
  const strategy = new FedAvgM({ momentum: 0.5 });
  const model: ModelParams = new Map([['table', dense(shape)]]);
  const table = () => [...(model.get('table')?.values ?? [])];
  // round 1, rows 0 and 1: v = [2, 4, 0], model = [2, 4, 0]
  strategy.apply(model, update(1, { table: rowsOf(shape, [0, 1], [2, 4]) }));
  assertClose(table(), [2, 4, 0]);
  // round 2, row 1 only: v1 = 0.5*4 + 1 = 3, row 1 = 7; row 0 stays 2 (eager momentum would make it 3)
  strategy.apply(model, update(1, { table: rowsOf(shape, [1], [1]) }));
  assertClose(table(), [2, 7, 0]);
  // round 3, row 0 with a zero delta: its velocity 2 was kept, so v0 = 0.5*2 + 0 = 1 and row 0 = 3
  strategy.apply(model, update(1, { table: rowsOf(shape, [0], [0]) }));
  assertClose(table(), [3, 7, 0]);
});

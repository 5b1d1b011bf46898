import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cloneModel, createStrategy, SeededRandom, type ModelParams, type ModelUpdate, type SparseRows } from '@strata/shared';
import {
  addEvaluationSums,
  CentralizedBprTrainer,
  evaluateRanking,
  generateSyntheticSequences,
  initSasrecWeights,
  metricsFromSums,
  SasrecCentralizedTrainer,
  SasrecGradients,
  SasrecKernel,
  SasrecTask,
  sequenceWindows,
  splitLeaveOneOut,
  type Interactions,
} from '../src/recsys/index.js';
import { findTask } from '../src/registry/index.js';

const sequences = generateSyntheticSequences({ users: 120, items: 100, length: 30, follow: 0.6, seed: 1 });
// Each user steps to the planted successor 60% of the time: about the best Hit@10 a model can reach.
const small = { dim: 16, maxLength: 24, blocks: 1, dropout: 0.1, ks: [10] };

test('leave-one-out holds out each user’s latest interaction and keeps the history in time order', () => {
  const data: Interactions = {
    numUsers: 2,
    numItems: 5,
    userIds: ['a', 'b'],
    itemIds: ['0', '1', '2', '3', '4'],
    users: Int32Array.from([0, 0, 0, 1, 0, 1]),
    items: Int32Array.from([4, 1, 3, 2, 0, 4]),
    timestamps: Float64Array.from([30, 10, 20, 5, 30, 1]),
    source: 'inline',
  };
  const split = splitLeaveOneOut(data);
  // User a: 1 (t10), 3 (t20), then 4 and 0 tie at t30: the later row (0) is the latest.
  assert.deepEqual([...split.sequences[0]], [1, 3, 4]);
  assert.deepEqual([...split.train[0]], [1, 3, 4]);
  assert.deepEqual([...split.test[0]], [0]);
  assert.deepEqual([...split.sequences[1]], [4]);
  assert.deepEqual([...split.test[1]], [2]);
});

test('sequence windows: the latest only, or the whole history cut into windows the latest first', () => {
  const history = Int32Array.from([9, 8, 7, 6, 5, 4, 3]);
  const show = (w: { inputs: Int32Array; targets: Int32Array }): string => `${[...w.inputs]}>${[...w.targets]}`;
  assert.deepEqual(sequenceWindows(history, 4, 'latest').map(show), ['7,6,5,4>6,5,4,3']);
  assert.deepEqual(sequenceWindows(history, 4, 'all').map(show), ['7,6,5,4>6,5,4,3', '9,8>8,7']);
  assert.deepEqual(sequenceWindows(history.subarray(0, 1), 4, 'all'), []);
});

test('the kernel’s gradients match finite differences of its loss', () => {
  const shape = { numItems: 12, dim: 6, maxLength: 5, blocks: 2 };
  const weights = initSasrecWeights(shape, new SeededRandom(1));
  const noise = new SeededRandom(3);
  // Off the initial layer-norm gains and zero biases, so that every term of the gradient is exercised.
  for (let k = 0; k < weights.dense.length; k++) weights.dense[k] += noise.normal() * 0.1;
  const kernel = new SasrecKernel(shape);
  const inputs = Int32Array.from([3, 1, 7, 2]);
  const targets = Int32Array.from([1, 7, 2, 9]);
  const negatives = Int32Array.from([5, 0, 11, 4]);
  const loss = (): number => kernel.accumulate(weights, new SasrecGradients(shape), inputs, targets, negatives, 0, null, 1);
  const grads = new SasrecGradients(shape);
  kernel.accumulate(weights, grads, inputs, targets, negatives, 0, null, 1);
  assert.deepEqual(
    grads.touched.sort((a, b) => a - b),
    [0, 1, 2, 3, 4, 5, 7, 9, 11],
  );
  const check = (values: Float32Array, grad: Float32Array, k: number): void => {
    const h = 1e-2;
    const v = values[k];
    values[k] = v + h;
    const up = loss();
    values[k] = v - h;
    const down = loss();
    values[k] = v;
    const numeric = (up - down) / (2 * h);
    const error = Math.abs(numeric - grad[k]) / Math.max(1e-3, Math.abs(numeric) + Math.abs(grad[k]));
    assert.ok(error < 0.02, `parameter ${k}: numeric ${numeric}, analytic ${grad[k]}`);
  };
  for (let k = 0; k < weights.dense.length; k++) check(weights.dense, grads.dense, k);
  for (const item of grads.touched) for (let c = 0; c < shape.dim; c++) check(weights.items, grads.items, item * shape.dim + c);
  // Dropout with rate 0 is the same pass; with a rate, the same seed gives the same loss.
  const dropped = (): number =>
    kernel.accumulate(weights, new SasrecGradients(shape), inputs, targets, negatives, 0.3, new SeededRandom(5), 1);
  assert.equal(dropped(), dropped());
  assert.notEqual(dropped(), loss());
});

test('centralized SASRec learns a planted order that BPR-MF cannot (leave-one-out, full ranking)', async () => {
  const split = splitLeaveOneOut(sequences);
  const sasrec = new SasrecCentralizedTrainer(split, { ...small, epochs: 12, batchSize: 16, learningRate: 0.01, seed: 0 }).train();
  const sasrecMetrics = evaluateRanking(split, sasrec.scoreUser, { ks: [10] });
  const bpr = await new CentralizedBprTrainer(split, { seed: 0, dim: 16, threads: 1 }).train();
  const bprMetrics = evaluateRanking(split, bpr.scoreUser, { ks: [10] });
  assert.ok(sasrecMetrics['hit@10'] > 0.45, `SASRec Hit@10 ${sasrecMetrics['hit@10']}`);
  assert.ok(bprMetrics['hit@10'] < 0.35, `BPR-MF Hit@10 ${bprMetrics['hit@10']}`);
  assert.ok(sasrecMetrics['ndcg@10'] > bprMetrics['ndcg@10'] + 0.15, `NDCG@10 ${sasrecMetrics['ndcg@10']} vs ${bprMetrics['ndcg@10']}`);
});

test('a device does not mutate the model; it returns the item rows it touched and dense deltas, within the limits', async () => {
  const task = SasrecTask.fromInteractions(sequences, small);
  const model = task.initModel();
  const pristine = cloneModel(model);
  const device = task.createDevice(7);
  const update = await device.train(model, { round: 1, localSteps: 2, options: task.defaultOptions() });
  assert.deepEqual(model, pristine);
  // 29 training items, 28 transitions, the last 24 in the window.
  assert.equal(update.weight, 24);
  assert.ok(update.metrics.loss > 0);
  const items = update.delta.get('item_embedding') as SparseRows;
  assert.equal(items.kind, 'sparse');
  const rows = [...items.rows];
  for (let k = 1; k < rows.length; k++) assert.ok(rows[k] > rows[k - 1], 'rows strictly increasing');
  for (const item of device.history.subarray(-25)) assert.ok(rows.includes(item), `history item ${item} touched`);
  const limits = task.limits(2);
  assert.ok(update.weight <= limits.maxDeviceWeight);
  assert.ok([...(items.rowWeights as Float32Array)].every((w) => w >= 1 && w <= limits.maxRowWeight.base));
  assert.deepEqual(
    [...update.delta.keys()].filter((name) => update.delta.get(name)?.kind === 'dense'),
    [...model.keys()].filter((name) => name !== 'item_embedding'),
  );
  const sums = await device.evaluate(model);
  assert.equal(sums.count, 1);
  for (const [name, value] of Object.entries(sums.sums)) {
    const [low, high] = limits.metricRanges[name];
    assert.ok(value >= low && value <= high, `${name} ${value}`);
  }
});

test('federated SASRec (every user a device, FedAdam over one SGD step each) learns the planted order', async () => {
  const task = SasrecTask.fromInteractions(sequences, small);
  const model = task.initModel();
  const server = createStrategy('fedadam', { eta: 0.02 });
  const devices = Array.from({ length: task.numDevices }, (_, i) => task.createDevice(i));
  const evaluate = async (m: ModelParams): Promise<number> =>
    metricsFromSums(addEvaluationSums(...(await Promise.all(devices.map((d) => d.evaluate(m))))))['hit@10'];
  const before = await evaluate(model);
  let current = model;
  for (let round = 1; round <= 15; round++) {
    const updates: ModelUpdate[] = [];
    for (const device of devices) updates.push(await device.train(current, { round, localSteps: 1, options: task.defaultOptions() }));
    current = server.apply(current, server.aggregate(updates));
  }
  const after = await evaluate(current);
  assert.ok(before < 0.3, `untrained Hit@10 ${before}`);
  assert.ok(after > 0.45, `Hit@10 after 15 rounds ${after}`);
});

test('the registry builds recsys/sasrec; bad options are refused by name', () => {
  const entry = findTask('recsys/sasrec');
  assert.deepEqual(entry.headlineMetrics, ['hit@10', 'ndcg@10']);
  assert.throws(() => SasrecTask.fromInteractions(sequences, { dropout: 1 }), /task recsys\/sasrec: option "dropout": .*\(got 1\)/);
  assert.throws(() => SasrecTask.fromInteractions(sequences, { max_len: 20 }), /unknown option "max_len" \(options: dim, maxLength, /);
  const task = SasrecTask.fromInteractions(sequences, small);
  assert.throws(() => task.createDevice(120), /sasrec device index 120 is out of range \[0, 120\)/);
  const wrong = new Map(task.initModel());
  wrong.delete('block_0.query.kernel');
  return assert.rejects(
    task.createDevice(0).train(wrong, { round: 1, localSteps: 1, options: {} }),
    /sasrec model needs block_0.query.kernel of shape \[16, 16\], got none/,
  );
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cloneModel, FedAvg, type LocalTrainOptions, type ModelParams, type ModelUpdate, type SparseRows } from '@strata/shared';
import {
  addEvaluationSums,
  BprMfTask,
  evaluateRanking,
  ITEM_BIAS,
  ITEM_EMBEDDING,
  loadInteractions,
  metricsFromSums,
  ml100kSource,
  scoreItems,
} from '../src/recsys/index.js';

const data = loadInteractions(ml100kSource());
const trainOptions = (task: BprMfTask, round: number, localSteps = 1): LocalTrainOptions => ({
  round,
  localSteps,
  options: task.defaultOptions(),
});

test('a device does not mutate the model and returns only the item rows it touched', async () => {
  const task = BprMfTask.fromInteractions(data, { itemBias: true });
  const model = task.initModel();
  const pristine = cloneModel(model);
  const device = task.createDevice(5);
  const userBefore = device.userEmbedding.slice();
  const update = await device.train(model, trainOptions(task, 1, 2));
  assert.deepEqual(model, pristine);
  assert.notDeepEqual(device.userEmbedding, userBefore);

  const rows = update.delta.get(ITEM_EMBEDDING) as SparseRows;
  assert.equal(rows.kind, 'sparse');
  assert.deepEqual(rows.shape, [1682, 64]);
  assert.equal(update.weight, device.numSamples);
  assert.ok(update.metrics.loss > 0);
  const list = Array.from(rows.rows);
  assert.deepEqual(
    list,
    [...list].sort((a, b) => a - b),
  );
  assert.equal(new Set(list).size, list.length);
  // Row weights count touches: each positive once per local epoch (negatives are never positives), and
  // one sampled negative per positive per epoch.
  const weights = rows.rowWeights as Float32Array;
  for (const item of device.trainItems) assert.equal(weights[list.indexOf(item)], 2, `positive ${item}`);
  assert.equal(
    weights.reduce((a, b) => a + b, 0),
    2 * 2 * device.numSamples,
  );
  assert.ok(list.length < 1682);
  assert.equal(rows.values.length, list.length * 64);
  assert.ok(rows.values.some((v) => v !== 0));
  const bias = update.delta.get(ITEM_BIAS) as SparseRows;
  assert.deepEqual(Array.from(bias.rows), list);
  assert.equal(bias.values.length, list.length);

  const once = BprMfTask.fromInteractions(data, { rowWeights: 'one' });
  const ones = (await once.createDevice(5).train(once.initModel(), trainOptions(once, 1))).delta.get(ITEM_EMBEDDING) as SparseRows;
  assert.ok(ones.rowWeights?.every((w) => w === 1));
});

test('device evaluation ranks its own user and matches central evaluation of the same embeddings', async () => {
  const task = BprMfTask.fromInteractions(data);
  const model = task.initModel();
  const devices = [0, 1, 2].map((i) => task.createDevice(i));
  for (const device of devices) await device.train(model, trainOptions(task, 1));
  const sums = addEvaluationSums(...(await Promise.all(devices.map((d) => d.evaluate(model)))));
  assert.equal(sums.count, 3);
  const table = (model.get(ITEM_EMBEDDING) as { values: Float32Array }).values;
  const central = evaluateRanking(task.split, (u, out) => scoreItems(devices[u].userEmbedding, 0, table, null, 64, out), {
    users: [0, 1, 2],
  });
  assert.deepEqual(metricsFromSums(sums), central);
});

test('task surface: id, devices, init model, options, factory, errors', () => {
  const task = BprMfTask.fromInteractions(data, { seed: 3, dim: 16 });
  assert.equal(task.id, 'recsys/bpr-mf');
  assert.equal(task.numDevices, 943);
  const model = task.initModel();
  assert.deepEqual([...model.keys()], [ITEM_EMBEDDING]);
  assert.deepEqual(model.get(ITEM_EMBEDDING)?.shape, [1682, 16]);
  assert.deepEqual(task.initModel(), model);
  const described = task.describe() as { data: { numUsers: number; numTrain: number; numTest: number }; options: { dim: number } };
  assert.deepEqual(
    [described.data.numUsers, described.data.numTrain, described.data.numTest, described.options.dim],
    [943, 80000, 20000, 16],
  );
  assert.deepEqual(Object.keys(task.defaultOptions()).sort(), ['itemLearningRate', 'negatives', 'reg', 'userLearningRate']);
  assert.throws(() => task.createDevice(943), /device index 943 is out of range \[0, 943\)/);
  assert.throws(() => BprMfTask.fromInteractions(data, { negatives: 0 }), /task recsys\/bpr-mf: option "negatives": .*\(got 0\)/);
  assert.throws(
    () => BprMfTask.fromInteractions(data, { learning_rate: 2 }),
    /unknown option "learning_rate" \(options: dim, testFraction, /,
  );
  const wrong: ModelParams = new Map([[ITEM_EMBEDDING, { kind: 'dense', shape: [10, 16], values: new Float32Array(160) }]]);
  return assert.rejects(
    task.createDevice(0).train(wrong, { round: 1, localSteps: 1, options: {} }),
    /needs item_embedding of shape \[1682, 16\], got \[10, 16\]/,
  );
});

test('flat federated BPR-MF on ml-100k (every user a device, per-row FedAvg): Recall@20 > 0.29 by round 6', async () => {
  const task = BprMfTask.fromInteractions(data);
  const model = task.initModel();
  // FedAvg over sparse rows: per-row weighted mean of the deltas (row weights = touches), server lr 1.
  const server = new FedAvg();
  const devices = Array.from({ length: task.numDevices }, (_, i) => task.createDevice(i));
  const curve: number[] = [];
  for (let round = 1; round <= 6; round++) {
    const updates: ModelUpdate[] = [];
    for (const device of devices) updates.push(await device.train(model, trainOptions(task, round)));
    server.apply(model, server.aggregate(updates));
    if (round === 1 || round === 6) {
      const sums = addEvaluationSums(...(await Promise.all(devices.map((d) => d.evaluate(model)))));
      assert.equal(sums.count, 943);
      curve.push(metricsFromSums(sums)['recall@20']);
    }
  }
  assert.ok(curve[0] < 0.2, `round 1 recall@20 = ${curve[0]}`);
  assert.ok(curve[1] > 0.29 && curve[1] < 0.36, `round 6 recall@20 = ${curve[1]}`);
});

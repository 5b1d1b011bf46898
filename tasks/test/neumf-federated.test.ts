import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  cloneModel,
  createStrategy,
  dense,
  FedAvg,
  strategyNames,
  type LocalTrainOptions,
  type ModelParams,
  type ModelUpdate,
  type SparseRows,
} from '@strata/shared';
import {
  addEvaluationSums,
  evaluateNeuMF,
  GMF_ITEM_EMBEDDING,
  GMF_USER_EMBEDDING,
  loadInteractions,
  metricsFromSums,
  MLP_ITEM_EMBEDDING,
  MLP_USER_EMBEDDING,
  ml100kSource,
  neumfDenseTensors,
  NeuMFTask,
  type UserSplit,
} from '../src/recsys/index.js';

const data = loadInteractions(ml100kSource());
const trainOptions = (task: NeuMFTask, round: number, localSteps = 1): LocalTrainOptions => ({
  round,
  localSteps,
  options: task.defaultOptions(),
});

/** The first `n` users of the task's split: a small federation for fast runs. */
function firstUsers(task: NeuMFTask, n: number): NeuMFTask {
  const split: UserSplit = {
    numUsers: n,
    numItems: task.split.numItems,
    train: task.split.train.slice(0, n),
    test: task.split.test.slice(0, n),
  };
  return new NeuMFTask(task.data, split, task.options);
}

test('a device does not mutate the model; it returns sparse rows of the items it touched and dense deltas', async () => {
  const task = NeuMFTask.fromInteractions(data);
  const model = task.initModel();
  const pristine = cloneModel(model);
  const device = task.createDevice(5);
  const userBefore = { gmf: device.user.gmf.slice(), mlp: device.user.mlp.slice() };
  const update = await device.train(model, trainOptions(task, 1, 2));
  await device.evaluate(model);
  assert.deepEqual(model, pristine);
  assert.notDeepEqual(device.user.gmf, userBefore.gmf);
  assert.notDeepEqual(device.user.mlp, userBefore.mlp);

  const { gmfDim, mlpEmbeddingDim, negatives } = task.options;
  const denseNames = neumfDenseTensors(task.options).map((t) => t.name);
  assert.deepEqual([...update.delta.keys()], [GMF_ITEM_EMBEDDING, MLP_ITEM_EMBEDDING, ...denseNames]);
  assert.ok(!update.delta.has(GMF_USER_EMBEDDING) && !update.delta.has(MLP_USER_EMBEDDING), 'user embeddings stay on the device');
  assert.equal(update.weight, device.numSamples);
  assert.ok(update.metrics.loss > 0);

  const gmf = update.delta.get(GMF_ITEM_EMBEDDING) as SparseRows;
  const mlp = update.delta.get(MLP_ITEM_EMBEDDING) as SparseRows;
  assert.equal(gmf.kind, 'sparse');
  assert.deepEqual(gmf.shape, [1682, gmfDim]);
  assert.deepEqual(mlp.shape, [1682, mlpEmbeddingDim]);
  assert.deepEqual(mlp.rows, gmf.rows);
  const rows = Array.from(gmf.rows);
  for (let k = 1; k < rows.length; k++) assert.ok(rows[k] > rows[k - 1], 'rows strictly increasing');
  // Touched = the positives plus sampled negatives: pointwise samples touch one item each, the positive once
  // per local epoch and `negatives` sampled items per positive per epoch.
  const weights = gmf.rowWeights as Float32Array;
  for (const item of device.trainItems) assert.equal(weights[rows.indexOf(item)], 2, `positive ${item}`);
  assert.equal(
    weights.reduce((a, b) => a + b, 0),
    2 * (1 + negatives) * device.numSamples,
  );
  assert.ok(rows.length < 1682);
  assert.equal(gmf.values.length, rows.length * gmfDim);
  assert.equal(mlp.values.length, rows.length * mlpEmbeddingDim);
  // Every touched row moved; a row nobody touched is absent.
  for (let r = 0; r < rows.length; r++)
    assert.ok(
      gmf.values.subarray(r * gmfDim, (r + 1) * gmfDim).some((v) => v !== 0),
      `row ${rows[r]}`,
    );

  for (const { name, shape } of neumfDenseTensors(task.options)) {
    const delta = update.delta.get(name)!;
    assert.equal(delta.kind, 'dense', name);
    assert.deepEqual(delta.shape, shape, name);
    assert.ok(
      delta.values.some((v) => v !== 0),
      `${name} moved`,
    );
  }
});

test("FedProx's proximalMu holds the shared weights nearer the model it was sent", async () => {
  const task = NeuMFTask.fromInteractions(data);
  const model = task.initModel();
  const norm = (update: ModelUpdate, name: string): number => update.delta.get(name)!.values.reduce((s, v) => s + v * v, 0);
  // Two fresh devices of the same task are identical: one trains plainly, one with a strong proximal term.
  const plain = await task.createDevice(7).train(model, trainOptions(task, 1));
  const options = { ...trainOptions(task, 1), options: { ...task.defaultOptions(), proximalMu: 50 } };
  const held = await task.createDevice(7).train(model, options);
  for (const name of ['mlp.dense_0.kernel', 'mlp.dense_2.bias', 'output.kernel']) {
    assert.ok(norm(held, name) < 0.5 * norm(plain, name), `${name}: ${norm(held, name)} vs ${norm(plain, name)}`);
  }
  // An item row feels the term only on its later touches (most rows are touched once a round).
  assert.ok(norm(held, GMF_ITEM_EMBEDDING) < norm(plain, GMF_ITEM_EMBEDDING));
});

test('updates go through every aggregation strategy: sparse item rows and dense MLP/output deltas', async () => {
  const task = NeuMFTask.fromInteractions(data);
  const base = task.initModel();
  const updates: ModelUpdate[] = [];
  for (let i = 0; i < 5; i++) updates.push(await task.createDevice(i).train(base, trainOptions(task, 1)));
  for (const name of strategyNames) {
    const strategy = createStrategy(name);
    const model = strategy.apply(cloneModel(base), strategy.aggregate(updates));
    assert.deepEqual([...model.keys()], [...base.keys()], name);
    for (const [tensor, t] of model) assert.ok(t.values.every(Number.isFinite), `${name}: ${tensor} finite`);
    assert.notDeepEqual(model.get('output.kernel'), base.get('output.kernel'), `${name} moved the output layer`);
  }
});

test('device evaluation equals central evaluation of the same embeddings', async () => {
  const task = NeuMFTask.fromInteractions(data);
  const model = task.initModel();
  const devices = [0, 1, 2].map((i) => task.createDevice(i));
  for (const device of devices) await device.train(model, trainOptions(task, 1));
  const sums = addEvaluationSums(...(await Promise.all(devices.map((d) => d.evaluate(model)))));
  assert.equal(sums.count, 3);
  // The centralized view: the global model plus the users' private tables.
  const central: ModelParams = cloneModel(model);
  const users = (table: 'gmf' | 'mlp', width: number): Float32Array => {
    const values = new Float32Array(task.numDevices * width);
    devices.forEach((d, u) => values.set(d.user[table], u * width));
    return values;
  };
  central.set(GMF_USER_EMBEDDING, dense([task.numDevices, task.options.gmfDim], users('gmf', task.options.gmfDim)));
  central.set(MLP_USER_EMBEDDING, dense([task.numDevices, task.options.mlpEmbeddingDim], users('mlp', task.options.mlpEmbeddingDim)));
  const centralSplit: UserSplit = { ...task.split, test: task.split.test.map((t, u) => (u < 3 ? t : new Int32Array(0))) };
  assert.deepEqual(metricsFromSums(sums), evaluateNeuMF(task.options, central, centralSplit, task.options.ks));
});

test('task surface: id, devices, init model, options, factory, errors', async () => {
  const task = NeuMFTask.fromInteractions(loadInteractions(ml100kSource()), { seed: 3, gmfDim: 8, mlpLayers: [12, 6] });
  assert.equal(task.id, 'recsys/neumf');
  assert.equal(task.numDevices, 943);
  const model = task.initModel();
  assert.deepEqual(
    [...model.keys()],
    [
      GMF_ITEM_EMBEDDING,
      MLP_ITEM_EMBEDDING,
      'mlp.dense_0.kernel',
      'mlp.dense_0.bias',
      'mlp.dense_1.kernel',
      'mlp.dense_1.bias',
      'output.kernel',
      'output.bias',
    ],
  );
  assert.deepEqual(model.get(GMF_ITEM_EMBEDDING)?.shape, [1682, 8]);
  assert.deepEqual(model.get('output.kernel')?.shape, [14, 1]);
  assert.deepEqual(task.initModel(), model);
  const described = task.describe() as { data: { numUsers: number; numTrain: number }; tensors: { private: string[] } };
  assert.deepEqual([described.data.numUsers, described.data.numTrain], [943, 80000]);
  assert.deepEqual(described.tensors.private, [GMF_USER_EMBEDDING, MLP_USER_EMBEDDING]);
  assert.deepEqual(Object.keys(task.defaultOptions()).sort(), [
    'itemLearningRate',
    'learningRate',
    'localBatchSize',
    'negatives',
    'userLearningRate',
  ]);
  assert.throws(() => task.createDevice(943), /device index 943 is out of range \[0, 943\)/);
  assert.throws(
    () => NeuMFTask.fromInteractions(task.data, { rowWeights: 'all' }),
    /task recsys\/neumf: option "rowWeights": .*\(got "all"\)/,
  );
  assert.throws(
    () => NeuMFTask.fromInteractions(task.data, { gmfdim: 8 }),
    /task recsys\/neumf: unknown option "gmfdim" \(options: gmfDim, mlpEmbeddingDim, /,
  );
  const wrong = cloneModel(model);
  wrong.set('mlp.dense_1.kernel', dense([6, 12]));
  await assert.rejects(
    task.createDevice(0).train(wrong, trainOptions(task, 1)),
    /needs mlp.dense_1.kernel of shape \[12, 6\], got \[6, 12\]/,
  );
});

test('flat federated NeuMF on 120 ml-100k users (per-row FedAvg of item rows, weighted mean of dense deltas) learns', async () => {
  const task = firstUsers(NeuMFTask.fromInteractions(data), 120);
  const model = task.initModel();
  const server = new FedAvg();
  const devices = Array.from({ length: task.numDevices }, (_, i) => task.createDevice(i));
  const recall: number[] = [];
  const losses: number[] = [];
  const evaluate = async (): Promise<void> => {
    const sums = addEvaluationSums(...(await Promise.all(devices.map((d) => d.evaluate(model)))));
    recall.push(metricsFromSums(sums)['recall@20']);
  };
  await evaluate();
  for (let round = 1; round <= 4; round++) {
    const updates: ModelUpdate[] = [];
    for (const device of devices) updates.push(await device.train(model, trainOptions(task, round)));
    const combined = server.aggregate(updates);
    losses.push(combined.metrics.loss / combined.weight);
    server.apply(model, combined);
  }
  await evaluate();
  assert.ok(losses[3] < losses[0], `loss ${losses.join(' ')}`);
  assert.ok(recall[0] < 0.1, `untrained recall@20 = ${recall[0]}`);
  assert.ok(recall[1] > 0.15, `round 4 recall@20 = ${recall[1]}`);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cloneModel, FedAvg, SeededRandom, type ModelUpdate, type SparseRows } from '@strata/shared';
import {
  addEvaluationSums,
  centralizedLightGcn,
  evaluateRanking,
  generateSyntheticRecsysData,
  itemLayerName,
  LIGHTGCN_ITEM_EMBEDDING,
  LightGcnTask,
  metricsFromSums,
  popularityBaseline,
  PropagationKernel,
  SparseAdjacency,
  type UserSplit,
} from '../src/recsys/index.js';

function randomAdjacency(nodes: number, edges: number, random: SeededRandom): SparseAdjacency {
  const rows = Int32Array.from({ length: edges }, () => random.int(nodes));
  const columns = Int32Array.from({ length: edges }, () => random.int(nodes));
  const weights = Float32Array.from({ length: edges }, () => random.normal());
  return SparseAdjacency.fromEdges(nodes, rows, columns, weights);
}

test('sparse adjacency: propagation is A x, and the transpose is the transpose', () => {
  const a = SparseAdjacency.fromEdges(3, Int32Array.of(0, 2, 2), Int32Array.of(1, 0, 2), Float32Array.of(2, 3, -1));
  const out = new Float32Array(6);
  a.propagate(Float32Array.of(1, 10, 2, 20, 3, 30), out, 2);
  assert.deepEqual(Array.from(out), [4, 40, 0, 0, 0, 0]);
  a.transpose().propagate(Float32Array.of(1, 10, 2, 20, 3, 30), out, 2);
  assert.deepEqual(Array.from(out), [9, 90, 2, 20, -3, -30]);
});

test('propagation kernel: the gradient of the batch loss matches central finite differences', () => {
  const random = new SeededRandom(7);
  const nodes = 9;
  const dim = 3;
  const forward = randomAdjacency(nodes, 20, random);
  const backward = forward.transpose();
  const kernel = new PropagationKernel(nodes, dim, 2);
  const ego = Float32Array.from({ length: nodes * dim }, () => random.normal() * 0.7);
  const users = Int32Array.of(0, 1, 0);
  const positives = Int32Array.of(4, 5, 6);
  const negatives = Int32Array.of(7, 8, 5);
  const reg = 0.3;
  const grad = new Float32Array(ego.length);
  kernel.lossAndGradient(ego, forward, backward, users, positives, negatives, reg, grad);
  const loss = (): number => kernel.lossAndGradient(ego, forward, backward, users, positives, negatives, reg, new Float32Array(ego.length));
  const eps = 1e-2;
  for (let k = 0; k < ego.length; k++) {
    const saved = ego[k];
    ego[k] = saved + eps;
    const up = loss();
    ego[k] = saved - eps;
    const down = loss();
    ego[k] = saved;
    const numeric = (up - down) / (2 * eps);
    assert.ok(Math.abs(numeric - grad[k]) < 2e-3 + 1e-2 * Math.abs(numeric), `entry ${k}: analytic ${grad[k]}, numeric ${numeric}`);
  }
});

// 300 users with planted tastes: small enough for a test, structured enough that a graph model beats popularity.
const synthetic = generateSyntheticRecsysData({ users: 300, items: 200, interactionsPerUser: 30, seed: 3 });

async function federatedRecall(task: LightGcnTask, rounds: number): Promise<number> {
  const model = task.initModel();
  const server = new FedAvg();
  const devices = Array.from({ length: task.numDevices }, (_, i) => task.createDevice(i));
  for (let round = 1; round <= rounds; round++) {
    const updates: ModelUpdate[] = [];
    for (const device of devices) updates.push(await device.train(model, { round, localSteps: 1, options: task.defaultOptions() }));
    server.apply(model, server.aggregate(updates));
  }
  return metricsFromSums(addEvaluationSums(...(await Promise.all(devices.map((d) => d.evaluate(model))))))['recall@20'];
}

test('LightGCN on a small planted data set: centralized beats popularity, federated is within 5% of it', async () => {
  const task = LightGcnTask.fromInteractions(synthetic.interactions, { seed: 1 });
  const split: UserSplit = task.split;
  const popularity = popularityBaseline(split)['recall@20'];
  const model = await centralizedLightGcn(split, { epochs: 40, batchSize: 1024 }, 1).train();
  const centralized = evaluateRanking(split, model.scoreUser)['recall@20'];
  const federated = await federatedRecall(task, 15);
  console.log(`popularity ${popularity.toFixed(4)}, centralized ${centralized.toFixed(4)}, federated ${federated.toFixed(4)}`);
  assert.ok(centralized > popularity + 0.05, `centralized ${centralized} vs popularity ${popularity}`);
  assert.ok(federated > 0.95 * centralized, `federated ${federated} vs centralized ${centralized}`);
});

test('a federated LightGCN device sends its item rows and, per layer, neighbour-sum terms that aggregate to the sums', async () => {
  const task = LightGcnTask.fromInteractions(synthetic.interactions, { seed: 2, layers: 2, dim: 8 });
  const model = task.initModel();
  const pristine = cloneModel(model);
  const devices = Array.from({ length: task.numDevices }, (_, i) => task.createDevice(i));
  const updates: ModelUpdate[] = [];
  for (const device of devices) updates.push(await device.train(model, { round: 1, localSteps: 1, options: task.defaultOptions() }));
  assert.deepEqual(model, pristine);
  const first = updates[0].delta.get(itemLayerName(1)) as SparseRows;
  assert.deepEqual(Array.from(first.rows), Array.from(devices[0].trainItems));
  assert.ok(first.rowWeights?.every((w) => w === 1));
  assert.ok(updates[0].delta.has(LIGHTGCN_ITEM_EMBEDDING) && updates[0].delta.has(itemLayerName(2)));
  const server = new FedAvg();
  server.apply(model, server.aggregate(updates));
  // Layer 1 of item i is now the sum over its users of e_u^0 / sqrt(|N_u| |N_i|), with e_u^0 as trained.
  const layer = (model.get(itemLayerName(1)) as { values: Float32Array }).values;
  const expected = new Float32Array(layer.length);
  for (const device of devices) {
    for (const item of device.trainItems) {
      const w = 1 / Math.sqrt(device.trainItems.length * task.degrees[item]);
      for (let k = 0; k < 8; k++) expected[item * 8 + k] += w * device.userEmbedding[k];
    }
  }
  for (let k = 0; k < layer.length; k++) assert.ok(Math.abs(layer[k] - expected[k]) < 1e-4, `entry ${k}: ${layer[k]} vs ${expected[k]}`);
  assert.equal(task.limits(1).maxEvaluationCount, 1);
  assert.throws(() => LightGcnTask.fromInteractions(synthetic.interactions, { layers: 0 }), /option "layers"/);
});

test('the graph tasks refuse a lossy downlink, naming the flags that fix it', async () => {
  const { findTask } = await import('../src/registry/index.js');
  const { parseRunConfig } = await import('@strata/shared');
  for (const name of ['recsys/lightgcn', 'recsys/kgat']) {
    await assert.rejects(
      findTask(name).create(parseRunConfig({ task: name })),
      /needs a lossless downlink .*--downlink float32 --downlink-rows 1 \(got int8, rows 0\.25/,
    );
  }
  const { task } = await findTask('recsys/lightgcn').create(
    parseRunConfig({ task: 'recsys/lightgcn', downlink: { dtype: 'float32', rowFraction: 1 } }),
  );
  assert.equal(task.id, 'recsys/lightgcn');
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FedAvg, SeededRandom, type ModelUpdate } from '@strata/shared';
import {
  addEvaluationSums,
  centralizedKgat,
  evaluateRanking,
  generateSyntheticRecsysData,
  itemKnowledgeName,
  KgatTask,
  metricsFromSums,
  popularityBaseline,
  TransR,
  type KnowledgeGraph,
} from '../src/recsys/index.js';

test('TransR: the gradient of the batch loss matches central finite differences', () => {
  const random = new SeededRandom(11);
  const nodes = 6;
  const dim = 4;
  const transR = new TransR(nodes, 2, dim, 3, random.fork('init'), 0.5);
  const ego = Float32Array.from({ length: nodes * dim }, () => random.normal() * 0.5);
  const triples = { heads: Int32Array.of(0, 1, 2), relations: Int32Array.of(0, 1, 1), tails: Int32Array.of(3, 4, 5) };
  const corrupt = Int32Array.of(5, 3, 1);
  const reg = 0.2;
  const gradients = (): [Float32Array, Float32Array, Float32Array, number] => {
    const g = [
      new Float32Array(ego.length),
      new Float32Array(transR.relationEmbedding.length),
      new Float32Array(transR.projection.length),
    ] as const;
    const loss = transR.lossAndGradient(ego, triples, corrupt, reg, g[0], g[1], g[2]);
    return [g[0], g[1], g[2], loss];
  };
  const [gradEgo, gradRelation, gradProjection] = gradients();
  const eps = 1e-2;
  const check = (values: Float32Array, grad: Float32Array, name: string): void => {
    for (let k = 0; k < values.length; k++) {
      const saved = values[k];
      values[k] = saved + eps;
      const up = gradients()[3];
      values[k] = saved - eps;
      const down = gradients()[3];
      values[k] = saved;
      const numeric = (up - down) / (2 * eps);
      assert.ok(Math.abs(numeric - grad[k]) < 2e-3 + 1e-2 * Math.abs(numeric), `${name}[${k}]: analytic ${grad[k]}, numeric ${numeric}`);
    }
  };
  check(ego, gradEgo, 'ego');
  check(transR.relationEmbedding, gradRelation, 'relation');
  check(transR.projection, gradProjection, 'projection');
  const attention = transR.attention(ego, triples, nodes);
  assert.deepEqual(Array.from(attention), [1, 1, 1]);
});

// Planted tastes, and a knowledge graph that knows them: each item's strongest planted factor is its "genre".
const synthetic = generateSyntheticRecsysData({ users: 300, items: 200, interactionsPerUser: 30, rank: 8, seed: 5 });
function plantedGenres(): KnowledgeGraph {
  const { numItems } = synthetic.interactions;
  const rank = synthetic.options.rank;
  const heads = new Int32Array(numItems);
  const tails = new Int32Array(numItems);
  for (let i = 0; i < numItems; i++) {
    let best = 0;
    for (let k = 1; k < rank; k++) if (synthetic.itemFactors[i * rank + k] > synthetic.itemFactors[i * rank + best]) best = k;
    heads[i] = i;
    tails[i] = numItems + best;
  }
  return {
    numEntities: numItems + rank,
    numRelations: 1,
    entityIds: Array.from({ length: numItems + rank }, (_, e) => String(e)),
    relationIds: ['genre'],
    heads,
    relations: new Int32Array(numItems),
    tails,
    itemEntities: Int32Array.from({ length: numItems }, (_, i) => i),
    source: 'planted genres',
  };
}

test('KGAT on a small planted data set with a genre graph: centralized beats popularity, federated is within 5% of it', async () => {
  const graph = plantedGenres();
  const options = { seed: 1, minEntityDegree: 1, kgEpochs: 20, kgTriplesPerEpoch: 1024, kgBatchSize: 256 };
  const task = KgatTask.fromKnowledgeGraph(synthetic.interactions, graph, options);
  const popularity = popularityBaseline(task.split)['recall@20'];
  const trainer = centralizedKgat(
    task.split,
    graph,
    { epochs: 40, batchSize: 1024, minEntityDegree: 1, kgTriplesPerEpoch: 1024, kgBatchSize: 256 },
    1,
  );
  const centralized = evaluateRanking(task.split, (await trainer.train()).scoreUser)['recall@20'];
  const model = task.initModel();
  assert.ok(model.has(itemKnowledgeName(1)) && model.has(itemKnowledgeName(2)));
  const knowledge = (model.get(itemKnowledgeName(1)) as { values: Float32Array }).values.slice();
  const server = new FedAvg();
  const devices = Array.from({ length: task.numDevices }, (_, i) => task.createDevice(i));
  for (let round = 1; round <= 15; round++) {
    const updates: ModelUpdate[] = [];
    for (const device of devices) updates.push(await device.train(model, { round, localSteps: 1, options: task.defaultOptions() }));
    assert.ok(updates.every((u) => !u.delta.has(itemKnowledgeName(1))));
    server.apply(model, server.aggregate(updates));
  }
  assert.deepEqual((model.get(itemKnowledgeName(1)) as { values: Float32Array }).values, knowledge);
  const federated = metricsFromSums(addEvaluationSums(...(await Promise.all(devices.map((d) => d.evaluate(model))))))['recall@20'];
  console.log(`popularity ${popularity.toFixed(4)}, centralized KGAT ${centralized.toFixed(4)}, federated ${federated.toFixed(4)}`);
  assert.ok(centralized > popularity + 0.05, `centralized ${centralized} vs popularity ${popularity}`);
  assert.ok(federated > 0.95 * centralized, `federated ${federated} vs centralized ${centralized}`);
  assert.equal(task.id, 'recsys/kgat');
  assert.ok(!KgatTask.fromKnowledgeGraph(synthetic.interactions, graph, { knowledgeGraph: false }).initModel().has(itemKnowledgeName(1)));
});

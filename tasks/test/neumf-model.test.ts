import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom, type ModelParams } from '@strata/shared';
import { initTfjsBackend } from '../src/tfjs/index.js';
import {
  denseWeightsView,
  initNeuMFParams,
  itemTablesView,
  mlpBiasName,
  mlpKernelName,
  NeuMFKernelTrainer,
  NeuMFTfjsModel,
  NeuMFKernel,
  resolveNeuMFConfig,
  userTablesView,
  type NeuMFBatch,
  type NeuMFConfig,
} from '../src/recsys/neumf/index.js';

await initTfjsBackend();

const tiny = resolveNeuMFConfig({ gmfDim: 4, mlpEmbeddingDim: 3, mlpLayers: [5, 4], initStd: 0.5 });

function randomBatch(kind: 'pointwise' | 'pairwise', n: number, numUsers: number, numItems: number, rng: SeededRandom): NeuMFBatch {
  const users = Int32Array.from({ length: n }, () => rng.int(numUsers));
  const items = Int32Array.from({ length: n }, () => rng.int(numItems));
  if (kind === 'pointwise') return { kind, users, items, labels: Float32Array.from({ length: n }, (_, k) => k % 2) };
  return { kind, users, positives: items, negatives: Int32Array.from({ length: n }, () => rng.int(numItems)) };
}

function kernelTrainer(config: NeuMFConfig, params: ModelParams): NeuMFKernelTrainer {
  return new NeuMFKernelTrainer(
    config,
    {
      users: userTablesView(params),
      items: itemTablesView(params),
      dense: denseWeightsView(config, params),
    },
    { learningRate: config.learningRate },
  );
}

test('tensor names, shapes and order are stable; user tables only in a centralized model; seeded', () => {
  const config = resolveNeuMFConfig({ gmfDim: 8, mlpEmbeddingDim: 6, mlpLayers: [10, 5] });
  const central = initNeuMFParams(config, { numUsers: 7, numItems: 9, includeUsers: true }, new SeededRandom(1));
  assert.deepEqual(
    [...central].map(([name, t]) => [name, t.shape]),
    [
      ['gmf.user_embedding', [7, 8]],
      ['mlp.user_embedding', [7, 6]],
      ['gmf.item_embedding', [9, 8]],
      ['mlp.item_embedding', [9, 6]],
      ['mlp.dense_0.kernel', [12, 10]],
      ['mlp.dense_0.bias', [10]],
      ['mlp.dense_1.kernel', [10, 5]],
      ['mlp.dense_1.bias', [5]],
      ['output.kernel', [13, 1]],
      ['output.bias', [1]],
    ],
  );
  const federated = initNeuMFParams(config, { numUsers: 7, numItems: 9, includeUsers: false }, new SeededRandom(1));
  assert.deepEqual([...federated.keys()], [...central.keys()].slice(2));
  assert.deepEqual(federated.get('mlp.dense_1.kernel'), central.get('mlp.dense_1.kernel'));
  assert.deepEqual(initNeuMFParams(config, { numUsers: 7, numItems: 9, includeUsers: true }, new SeededRandom(1)), central);
  assert.notDeepEqual(initNeuMFParams(config, { numUsers: 7, numItems: 9, includeUsers: true }, new SeededRandom(2)), central);
  // Biases start at zero, Glorot kernels within their limit.
  assert.ok(central.get('mlp.dense_0.bias')!.values.every((v) => v === 0));
  assert.ok(central.get('mlp.dense_0.kernel')!.values.every((v) => Math.abs(v) <= Math.sqrt(6 / 22)));
});

test('config validation names the offending option', () => {
  assert.throws(() => resolveNeuMFConfig({ gmfDim: 0 }), /NeuMF: option "gmfDim": .*>=1 \(got 0\)/);
  assert.throws(() => resolveNeuMFConfig({ mlpLayers: [8, 2.5] }), /NeuMF: option "mlpLayers.1": .*expected int.* \(got 2\.5\)/);
  assert.throws(() => resolveNeuMFConfig({ loss: 'hinge' as 'log' }), /NeuMF: option "loss": .*"log"\|"bpr".* \(got "hinge"\)/);
  assert.throws(() => resolveNeuMFConfig({ learningRate: -1 }), /NeuMF: option "learningRate": .* \(got -1\)/);
});

for (const [loss, kind] of [
  ['log', 'pointwise'],
  ['bpr', 'pairwise'],
] as const) {
  test(`the hand-written kernel computes tfjs's ${loss} loss and gradients (with L2)`, () => {
    const config = resolveNeuMFConfig({ ...tiny, loss, l2: 0.1 });
    const rng = new SeededRandom(3);
    const params = initNeuMFParams(config, { numUsers: 5, numItems: 7, includeUsers: true }, rng);
    const batch = randomBatch(kind, 9, 5, 7, rng);
    const model = new NeuMFTfjsModel(config, params);
    const expectedGrads = model.gradients(batch);
    const lossTensor = model.loss(batch);
    const expectedLoss = lossTensor.dataSync()[0];
    lossTensor.dispose();
    model.dispose();

    const trainer = kernelTrainer(config, params);
    assert.ok(Math.abs(trainer.accumulate(batch) - expectedLoss) < 1e-6, 'loss');
    const g = trainer.gradients();
    const actual = new Map<string, Float32Array>([
      ['gmf.user_embedding', g.users.gmf],
      ['mlp.user_embedding', g.users.mlp],
      ['gmf.item_embedding', g.items.gmf],
      ['mlp.item_embedding', g.items.mlp],
      ['output.kernel', g.dense.outKernel],
      ['output.bias', g.dense.outBias],
    ]);
    config.mlpLayers.forEach((_, k) => {
      actual.set(mlpKernelName(k), g.dense.kernels[k]);
      actual.set(mlpBiasName(k), g.dense.biases[k]);
    });
    assert.deepEqual([...actual.keys()].sort(), [...expectedGrads.keys()].sort());
    for (const [name, expected] of expectedGrads) {
      const got = actual.get(name)!;
      // BPR sees only score differences, so the output bias has none.
      if (!(loss === 'bpr' && name === 'output.bias'))
        assert.ok(
          expected.values.some((v) => v !== 0),
          `${name} has a gradient`,
        );
      for (let k = 0; k < got.length; k++) {
        assert.ok(Math.abs(got[k] - expected.values[k]) < 1e-6, `${name}[${k}]: ${got[k]} vs ${expected.values[k]}`);
      }
    }
  });
}

test('kernel logits and full-item scores equal the tfjs model', () => {
  const rng = new SeededRandom(4);
  const params = initNeuMFParams(tiny, { numUsers: 3, numItems: 6, includeUsers: true }, rng);
  const model = new NeuMFTfjsModel(tiny, params);
  const users = new Int32Array(6).fill(2);
  const items = Int32Array.from({ length: 6 }, (_, i) => i);
  const logits = model.logits(users, items);
  const expected = logits.dataSync();
  logits.dispose();
  model.dispose();
  const scores = new Float32Array(6);
  new NeuMFKernel(tiny, denseWeightsView(tiny, params)).scoreAll(userTablesView(params), 2, itemTablesView(params), 6, scores);
  scores.forEach((s, i) => assert.ok(Math.abs(s - expected[i]) < 1e-6, `item ${i}: ${s} vs ${expected[i]}`));
});

test('a tiny training run lowers the loss, with tfjs and with the kernel', () => {
  const config = resolveNeuMFConfig({ ...tiny, learningRate: 0.02 });
  const rng = new SeededRandom(5);
  const params = initNeuMFParams(config, { numUsers: 6, numItems: 8, includeUsers: true }, rng);
  // Each user likes the items of its parity: learnable by both towers.
  const users: number[] = [];
  const items: number[] = [];
  const labels: number[] = [];
  for (let u = 0; u < 6; u++)
    for (let i = 0; i < 8; i++) {
      users.push(u);
      items.push(i);
      labels.push(u % 2 === i % 2 ? 1 : 0);
    }
  const batch: NeuMFBatch = {
    kind: 'pointwise',
    users: Int32Array.from(users),
    items: Int32Array.from(items),
    labels: Float32Array.from(labels),
  };
  const model = new NeuMFTfjsModel(config, params);
  const kernel = kernelTrainer(config, structuredClone(params));
  const tfjsLosses: number[] = [];
  const kernelLosses: number[] = [];
  for (let step = 0; step < 60; step++) {
    tfjsLosses.push(model.trainStep(batch));
    kernelLosses.push(kernel.step(batch));
  }
  model.dispose();
  assert.ok(tfjsLosses[59] < 0.5 * tfjsLosses[0], `tfjs loss ${tfjsLosses[0]} -> ${tfjsLosses[59]}`);
  assert.ok(kernelLosses[59] < 0.5 * kernelLosses[0], `kernel loss ${kernelLosses[0]} -> ${kernelLosses[59]}`);
  // Same start; both use Adam with tfjs's rule (the kernel lazily, which on a full batch is the same).
  assert.ok(Math.abs(tfjsLosses[0] - kernelLosses[0]) < 1e-6);
  assert.ok(Math.abs(tfjsLosses[59] - kernelLosses[59]) < 1e-3, `tfjs ${tfjsLosses[59]} vs kernel ${kernelLosses[59]}`);
});

// The embedded runtime end to end on real data (ml-100k, federated BPR-MF): accuracy band, determinism, and
// the failures an edge must survive (NaN updates, a disconnect mid-round, a straggler).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DeviceTrainer, FederatedTask, ModelUpdate } from '@strata/shared';
import { createLogger } from '@strata/runtime';
import { BprMfTask, loadInteractions, ml100kSource } from '@strata/tasks';
import { parseRunConfig } from '@strata/shared';
import { EmbeddedTopology } from '../src/embedded/embedded-topology.js';
import { runEmbedded } from '../src/embedded/run-embedded.js';

const logger = createLogger('test', 'silent');
const data = loadInteractions(ml100kSource());

/** The BPR-MF task with some devices replaced by misbehaving ones. */
function withFaults(task: FederatedTask, faults: Record<number, (honest: DeviceTrainer) => DeviceTrainer>): FederatedTask {
  return {
    id: task.id,
    numDevices: task.numDevices,
    describe: () => task.describe(),
    initModel: () => task.initModel(),
    defaultOptions: () => task.defaultOptions(),
    createDevice: (i) => (faults[i] ? faults[i](task.createDevice(i)) : task.createDevice(i)),
  };
}

function poison(update: ModelUpdate): ModelUpdate {
  const delta = new Map(update.delta);
  const [name, tensor] = [...delta][0];
  const values = tensor.values.slice();
  values[0] = Number.NaN;
  delta.set(name, { ...tensor, values });
  return { ...update, delta };
}

test('federated BPR-MF on ml-100k: every user a device, 2 edges, 6 rounds reach a Recall@20 band', async () => {
  // Lossless downloads: the default (int8 patches of a quarter of the rows) trails in the first rounds, when
  // every row moves (0.19 at round 6), and catches up by round 40 (README, "Bytes on the links").
  const config = parseRunConfig({ schedule: { rounds: 6, evalEvery: 3 }, downlink: { dtype: 'float32', rowFraction: 1 } });
  const task = BprMfTask.fromInteractions(data, { seed: config.seed });
  const record = await runEmbedded(config, task, logger);
  assert.equal(record.rounds.length, 6);
  const recall = record.final.metrics['recall@20'];
  assert.ok(recall > 0.2 && recall < 0.4, `recall@20 ${recall} outside [0.2, 0.4]`);
  const first = record.rounds[0];
  assert.equal(first.participation && (first.participation as { answered: number }).answered, 943);
  assert.ok(first.bytes.deviceEdge > 0 && first.bytes.edgeCloud > 0);
  assert.ok(record.rounds[5].metrics.loss < record.rounds[0].metrics.loss);
});

test('the same seed gives the same model and metrics', async () => {
  const config = parseRunConfig({ topology: { edges: 2, devices: 60 }, schedule: { rounds: 2 }, seed: 3 });
  const run = async () => runEmbedded(config, BprMfTask.fromInteractions(data, { seed: 3 }), logger);
  const [a, b] = [await run(), await run()];
  assert.deepEqual(a.final.metrics, b.final.metrics);
  assert.deepEqual(
    a.rounds.map((r) => r.metrics),
    b.rounds.map((r) => r.metrics),
  );
});

test('a NaN update is rejected with a counted reason and the round completes without it', async () => {
  const config = parseRunConfig({ topology: { edges: 2, devices: 20 }, schedule: { rounds: 1 } });
  const honest = BprMfTask.fromInteractions(data, { seed: 0 });
  const task = withFaults(honest, {
    3: (t) => ({ numSamples: t.numSamples, train: async (m, o) => poison(await t.train(m, o)), evaluate: t.evaluate?.bind(t) }),
  });
  const topology = new EmbeddedTopology({
    task,
    edges: 2,
    devices: 20,
    schedule: config.schedule,
    strategy: config.strategy,
    edgeStrategy: config.edgeStrategy,
    compression: config.compression,
    taskOptions: honest.defaultOptions(),
    seed: 0,
    logger,
  });
  await topology.start();
  const outcome = await topology.runRound(1);
  await topology.stop();
  assert.deepEqual(outcome.participation.rejected, { non_finite: 1 });
  assert.equal(outcome.participation.answered, 19);
  assert.equal(outcome.version, 1);
  for (const tensor of topology.coordinator.globalModel.values()) assert.ok(tensor.values.every(Number.isFinite));
});

test('a device that disconnects mid-round and a straggler do not stop the round (quorum)', async () => {
  const config = parseRunConfig({
    topology: { edges: 1, devices: 10 },
    schedule: { rounds: 1, quorum: 0.8, edgeDeadlineSeconds: 30 },
  });
  const honest = BprMfTask.fromInteractions(data, { seed: 0 });
  let topology: EmbeddedTopology | undefined;
  const task = withFaults(honest, {
    // Leaves while training: its edge sees the request fail.
    2: (t) => ({
      numSamples: t.numSamples,
      train: async () => {
        await topology!.devices[2].disconnect();
        return new Promise<ModelUpdate>(() => {});
      },
    }),
    // Never answers: the quorum (8 of 10) closes the iteration without it.
    5: (t) => ({ numSamples: t.numSamples, train: () => new Promise<ModelUpdate>(() => {}) }),
  });
  topology = new EmbeddedTopology({
    task,
    edges: 1,
    devices: 10,
    schedule: config.schedule,
    strategy: config.strategy,
    edgeStrategy: config.edgeStrategy,
    compression: config.compression,
    taskOptions: honest.defaultOptions(),
    seed: 0,
    logger,
  });
  await topology.start();
  const outcome = await topology.runRound(1);
  await topology.stop();
  assert.equal(outcome.participation.selected, 10);
  assert.equal(outcome.participation.answered, 8);
  assert.equal(outcome.participation.failed, 1);
  assert.equal(outcome.participation.dropped, 1);
  assert.equal(outcome.version, 1);
});

test('κ2 edge iterations per cloud round, int8 updates with error feedback', async () => {
  const config = parseRunConfig({
    topology: { edges: 2, devices: 100 },
    schedule: { rounds: 2, kappa2: 3, fraction: 0.5 },
    compression: { dtype: 'int8' },
  });
  const record = await runEmbedded(config, BprMfTask.fromInteractions(data, { seed: 0 }), logger);
  const participation = record.rounds[0].participation as { selected: number; answered: number };
  // Each of the 2 edges has 50 devices and selects 25 per iteration, 3 iterations.
  assert.equal(participation.selected, 2 * 25 * 3);
  assert.equal(participation.answered, 150);
  assert.ok(record.final.metrics['recall@20'] > 0);
});

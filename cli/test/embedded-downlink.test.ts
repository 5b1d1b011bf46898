// Downloads that send what changed, end to end on ml-100k: a device whose cached model is corrupted or
// gone gets the whole model again and the rounds come out exactly as without the fault; float32 patches
// train the same model bit for bit as whole-model downloads did.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRunConfig, type FederatedTask, type ModelParams } from '@strata/shared';
import { createLogger } from '@strata/runtime';
import { BprMfTask, loadInteractions, ml100kSource } from '@strata/tasks';
import { EmbeddedTopology } from '../src/embedded/embedded-topology.js';

const logger = createLogger('test', 'silent');
const data = loadInteractions(ml100kSource());
const DEVICES = 40;

/** A topology whose device `watched` hands the test the model it trains from (the device's cache). */
function topology(seen: { model?: ModelParams }, watched: number, downlink: 'float32' | 'int8' = 'float32'): EmbeddedTopology {
  const config = parseRunConfig({ topology: { edges: 2, devices: DEVICES }, seed: 5, downlink: { dtype: downlink } });
  const honest = BprMfTask.fromInteractions(data, { seed: 5 });
  const task: FederatedTask = {
    id: honest.id,
    numDevices: honest.numDevices,
    describe: () => honest.describe(),
    initModel: () => honest.initModel(),
    defaultOptions: () => honest.defaultOptions(),
    createDevice: (i) => {
      const trainer = honest.createDevice(i);
      if (i !== watched) return trainer;
      return {
        numSamples: trainer.numSamples,
        train: (model, options) => {
          seen.model = model;
          return trainer.train(model, options);
        },
        evaluate: trainer.evaluate?.bind(trainer),
      };
    },
  };
  return new EmbeddedTopology({
    task,
    edges: 2,
    devices: DEVICES,
    schedule: config.schedule,
    strategy: config.strategy,
    edgeStrategy: config.edgeStrategy,
    compression: config.compression,
    downlink: config.downlink,
    taskOptions: honest.defaultOptions(),
    seed: 5,
    logger,
  });
}

function bits(model: ModelParams): number[] {
  return [...model.values()].flatMap((t) => [...new Uint32Array(t.values.buffer, t.values.byteOffset, t.values.length)]);
}

test('a device with a corrupted or lost cache gets the whole model again; the rounds come out unchanged', async () => {
  const run = async (fault: boolean) => {
    const seen: { model?: ModelParams } = {};
    // int8 patches add to what the device holds, so a wrong value stays wrong (a float32 patch of every row
    // would overwrite it) and only the checksum can catch it.
    const t = topology(seen, 3, 'int8');
    await t.start();
    try {
      await t.runRound(1);
      if (fault) {
        seen.model!.values().next().value!.values[11] += 0.5; // the device's cache, written by mistake
        t.devices[7].cache.clear(); // a device that lost its cache (restarted)
      }
      const evaluation = await t.evaluate(1);
      await t.runRound(2);
      const last = await t.evaluate(2);
      return { model: bits(t.coordinator.globalModel), evaluation, last, record: t.coordinator.roundRecord(2) };
    } finally {
      await t.stop();
    }
  };
  const clean = await run(false);
  const faulty = await run(true);
  assert.deepEqual(faulty.model, clean.model, 'the global model after round 2, bit for bit');
  assert.deepEqual(faulty.evaluation.metrics, clean.evaluation.metrics);
  assert.deepEqual(faulty.last.metrics, clean.last.metrics);
  const fullModel = 1682 * 64 * 4; // a device that asks again gets the float32 replica
  const extra = faulty.evaluation.bytes.deviceEdgeDown - clean.evaluation.bytes.deviceEdgeDown;
  assert.ok(extra > 2 * fullModel, `the two devices fetched the whole model again (${extra} extra bytes down)`);
  assert.ok(clean.evaluation.bytes.deviceEdgeDown < DEVICES * fullModel, 'the others got patches');
});

test('evaluation and the next round share one download: the round sends only request headers', async () => {
  const t = topology({}, -1);
  await t.start();
  try {
    await t.runRound(1);
    await t.evaluate(1);
    const outcome = await t.runRound(2);
    assert.ok(outcome.bytes.deviceEdgeDown < DEVICES * 200, `${outcome.bytes.deviceEdgeDown} bytes down for ${DEVICES} devices`);
    assert.equal(outcome.bytes.edgeCloudDown, 0, 'the edges had the model blob from the evaluation');
  } finally {
    await t.stop();
  }
});

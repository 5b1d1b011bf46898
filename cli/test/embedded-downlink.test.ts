// Downloads that send what changed, end to end on ml-100k: a device whose cached model is corrupted or
// gone gets the whole model again and the rounds come out exactly as without the fault; float32 patches
// train the same model bit for bit as whole-model downloads did.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decodeEnvelope,
  encodeModelPatchBlob,
  parseRunConfig,
  type BlobStore,
  type Downlink,
  type FederatedTask,
  type ModelParams,
} from '@strata/shared';
import { InMemoryBlobStore, InMemoryStateStore, createLogger } from '@strata/runtime';
import { BprMfTask, loadInteractions, ml100kSource } from '@strata/tasks';
import { EmbeddedTopology } from '../src/embedded/embedded-topology.js';

const logger = createLogger('test', 'silent');
const data = loadInteractions(ml100kSource());
const DEVICES = 40;

/** A topology whose device `watched` hands the test the model it trains from (the device's cache). */
function topology(
  seen: { model?: ModelParams },
  watched: number,
  downlink: 'float32' | 'int8' | Partial<Downlink> = 'float32',
  blobs?: BlobStore,
): EmbeddedTopology {
  const config = parseRunConfig({
    topology: { edges: 2, devices: DEVICES },
    seed: 5,
    downlink: typeof downlink === 'string' ? { dtype: downlink } : downlink,
  });
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
    ...(blobs ? { stores: { state: new InMemoryStateStore(), blobs } } : {}),
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

/** A blob store whose patch blobs (strata:model-patch:*) edges read as `patch` makes them (undefined: gone). */
function patchesRead(patch: (blob: Uint8Array, version: number) => Uint8Array | undefined): BlobStore {
  const store = new InMemoryBlobStore();
  return {
    put: (key, value, ttl) => store.put(key, value, ttl),
    has: (key) => store.has(key),
    delete: (key) => store.delete(key),
    close: () => store.close(),
    get: async (key) => {
      const blob = await store.get(key);
      const version = /^strata:model-patch:(\d+)$/.exec(key)?.[1];
      return blob && version !== undefined ? patch(blob, Number(version)) : blob;
    },
  };
}

/** Two rounds with their evaluations: the global model's bits, the metrics, and the edge-cloud bytes down. */
async function twoRounds(downlink: Partial<Downlink>, blobs: BlobStore) {
  const t = topology({}, -1, downlink, blobs);
  await t.start();
  try {
    const outcomes = [await t.runRound(1), await t.evaluate(1), await t.runRound(2), await t.evaluate(2)];
    const edgeCloudDown = outcomes.reduce((n, o) => n + o.bytes.edgeCloudDown, 0);
    return { model: bits(t.coordinator.globalModel), metrics: outcomes.map((o) => o.metrics), edgeCloudDown };
  } finally {
    await t.stop();
    await blobs.close();
  }
}

test('float32 patches from the cloud bring the edges the model bit for bit as whole-model reads, in fewer bytes', async () => {
  const lossless = { dtype: 'float32', rowFraction: 1, energy: 1 } as const;
  const patched = await twoRounds(
    lossless,
    patchesRead((blob) => blob),
  );
  const whole = await twoRounds(
    lossless,
    patchesRead(() => undefined),
  );
  assert.deepEqual(patched.model, whole.model, 'the global model after round 2, bit for bit');
  assert.deepEqual(patched.metrics, whole.metrics);
  assert.ok(
    patched.edgeCloudDown < whole.edgeCloudDown,
    `edge-cloud bytes down: ${patched.edgeCloudDown} with patches, ${whole.edgeCloudDown} reading whole models`,
  );
});

test('an edge whose patched model fails its checksum reads the whole model; the rounds come out unchanged', async () => {
  const clean = await twoRounds(
    { dtype: 'int8' },
    patchesRead((blob) => blob),
  );
  // One bit of a value in the patch to version 1 flipped on the way: it decodes, but the result is another model.
  const flipped = await twoRounds(
    { dtype: 'int8' },
    patchesRead((blob, version) => {
      if (version !== 1) return blob;
      const patch = decodeEnvelope(blob).modelPatch!;
      const data = patch.tensors![0].data!.slice();
      data[data.length >> 1] ^= 1;
      return encodeModelPatchBlob({ ...patch, tensors: [{ ...patch.tensors![0], data }, ...patch.tensors!.slice(1)] });
    }),
  );
  assert.deepEqual(flipped.model, clean.model, 'the global model after round 2, bit for bit');
  assert.deepEqual(flipped.metrics, clean.metrics);
  assert.ok(flipped.edgeCloudDown > clean.edgeCloudDown, 'the two edges read the whole model of version 1 too');
});

// What the coordinator writes for edges: with a lossy downlink, the replica's whole model and the patch from the
// version before, which a resumed coordinator continues from the replica's blob (the same blobs as an
// uninterrupted one); with a float32 downlink, only patches smaller than the model, the global model's blob
// being the edges' whole model.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decodeModelBlob,
  decodeModelPatchBlob,
  dense,
  downlinkSchema,
  edgeModelBlobKey,
  modelBlobKey,
  modelChecksum,
  modelPatchBlobKey,
  type ModelParams,
} from '@strata/shared';
import { InMemoryBlobStore, createLogger } from '@strata/runtime';
import { EdgeModelPublisher } from '../src/edge-model-publisher.js';

const logger = createLogger('test', 'silent');

/** Version v of a 6 x 3 table: every value moves a little, row v % 6 a lot. */
function modelAt(version: number): ModelParams {
  const values = Float32Array.from({ length: 18 }, (_, i) => Math.sin(i + version) + (Math.floor(i / 3) === version % 6 ? 3 * version : 0));
  return new Map([['w', dense([6, 3], values)]]);
}

test('int8: a resumed publisher continues from the replica blob and writes what an uninterrupted one writes', async () => {
  const int8 = downlinkSchema.parse({ dtype: 'int8', rowFraction: 0.5 });
  const uninterruptedBlobs = new InMemoryBlobStore();
  const uninterrupted = new EdgeModelPublisher(int8, uninterruptedBlobs, logger);
  for (let v = 0; v <= 1; v++) await uninterrupted.publish(modelAt(v), v);

  const blobs = new InMemoryBlobStore();
  const first = new EdgeModelPublisher(int8, blobs, logger);
  for (let v = 0; v <= 1; v++) await first.publish(modelAt(v), v);
  const resumed = new EdgeModelPublisher(int8, blobs, logger);
  await resumed.resume(modelAt(1), 1);
  assert.deepEqual(resumed.jobModel(1), uninterrupted.jobModel(1), 'jobs name the patch to the version resumed at, as before');
  assert.ok(resumed.jobModel(1).modelPatch);
  for (let v = 2; v <= 3; v++) await resumed.publish(modelAt(v), v);
  for (let v = 2; v <= 3; v++) await uninterrupted.publish(modelAt(v), v);
  for (const key of [edgeModelBlobKey(3), modelPatchBlobKey(3)]) {
    assert.deepEqual(await blobs.get(key), await uninterruptedBlobs.get(key), key);
  }

  const job = uninterrupted.jobModel(3);
  assert.equal(job.modelKey, edgeModelBlobKey(3), 'edges hold the replica, not the global model');
  const replica = decodeModelBlob((await blobs.get(edgeModelBlobKey(3)))!).model;
  assert.notDeepEqual(
    replica.get('w')!.values,
    modelAt(3).get('w')!.values,
    'int8 patches: the replica is the global model up to the quantisation error it feeds back',
  );
  const patch = decodeModelPatchBlob((await blobs.get(modelPatchBlobKey(3)))!);
  assert.deepEqual(job.modelPatch, { key: modelPatchBlobKey(3), baseChecksum: patch.base.checksum, checksum: modelChecksum(replica) });

  // Without the replica's blob a resumed publisher starts a new replica from the global model: another model.
  const lost = new InMemoryBlobStore();
  const restarted = new EdgeModelPublisher(int8, lost, logger);
  await restarted.resume(modelAt(1), 1);
  await restarted.write(1);
  assert.notDeepEqual(await lost.get(edgeModelBlobKey(1)), await blobs.get(edgeModelBlobKey(1)));

  await uninterrupted.release(3);
  assert.equal(await uninterruptedBlobs.has(edgeModelBlobKey(3)), false);
  assert.equal(await uninterruptedBlobs.has(modelPatchBlobKey(3)), false);
});

test("float32: edges hold the global model itself (even with a row cap, which is the device links'); a patch is written only when it is smaller than the model", async () => {
  const lossless = downlinkSchema.parse({ dtype: 'float32', rowFraction: 0.25 });
  const blobs = new InMemoryBlobStore();
  const publisher = new EdgeModelPublisher(lossless, blobs, logger);
  const sparse = (v: number): ModelParams => {
    const values = Float32Array.from({ length: 18 }, (_, i) => i);
    values[3 * (v % 6)] += v; // one row of six changes a version
    return new Map([['w', dense([6, 3], values)]]);
  };
  await publisher.publish(sparse(0), 0);
  await publisher.publish(sparse(1), 1);
  assert.deepEqual(publisher.jobModel(1), {
    modelKey: modelBlobKey(1),
    modelPatch: { key: modelPatchBlobKey(1), baseChecksum: modelChecksum(sparse(0)), checksum: modelChecksum(sparse(1)) },
  });
  assert.equal(await blobs.has(edgeModelBlobKey(1)), false, "the global model's blob is the edges' model");
  await publisher.publish(modelAt(2), 2); // every row changed: a patch as large as the model
  assert.deepEqual(publisher.jobModel(2), { modelKey: modelBlobKey(2) });
  assert.equal(await blobs.has(modelPatchBlobKey(2)), false);
});

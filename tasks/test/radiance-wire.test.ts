// The radiance model on the wire: importance-pruned uploads keep what they do not send on the device and
// still converge; a device whose cached dense model is stale or corrupted recovers with a full download and
// trains the same update; the compact model file renders like the full model in a fraction of its bytes.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { brotliCompressSync, brotliDecompressSync } from 'node:zlib';
import {
  DeviceModelCache,
  FedAvg,
  ModelDownlink,
  cloneModel,
  decodeRoundRequest,
  modelChecksum,
  type DeviceTrainer,
  type ModelParams,
  type ModelUpdate,
  type RoundRequestHeader,
  type SparseRows,
} from '@strata/shared';
import {
  COLOR_TENSOR,
  DENSITY_TENSOR,
  DEFAULT_RADIANCE_DEVICE_OPTIONS,
  GridRenderer,
  ProceduralScene,
  PrunedUploadFeedback,
  RadianceVoxelGridTask,
  decodeRadianceModel,
  encodeCompactRadianceModel,
  encodeRadianceModel,
  evaluateViews,
  psnr,
  type SceneDataset,
} from '../src/radiance/index.js';

const scene: SceneDataset = new ProceduralScene({ seed: 11, size: 32, views: 40 }).dataset();
const taskOptions = { devices: 4, points: 24 ** 3, seed: 2 } as const;
const deviceOptions = { ...DEFAULT_RADIANCE_DEVICE_OPTIONS, batchSize: 512, lrDensity: 0.3, lrColor: 0.15 };

test('a pruned upload sends the largest changes and holds the rest until it is sent or trained on', () => {
  const feedback = new PrunedUploadFeedback(10, 2);
  const rows = Uint32Array.of(1, 3, 4, 8);
  const density = Float32Array.of(0.1, -2, 0.3, 0.01);
  const color = Float32Array.of(0, 0, 0, 0, 5, 0, 0, 0.02);
  const first = feedback.select({ rows, density, color }, 0.5, 1, 1);
  assert.deepEqual(Array.from(first.rows), [3, 4], 'the two points that changed most (2 in density, 5 in colour)');
  assert.deepEqual(Array.from(first.touched), [1, 1]);
  assert.deepEqual(Array.from(first.heldTouched), [1, 8], 'the touched points held back go up as zero rows');
  // The device trains on from the received model plus what it holds (points 1 and 8).
  const grid = { density: new Float32Array(10), color: new Float32Array(20) };
  feedback.addHeldTo(grid.density, grid.color);
  assert.ok(Math.abs(grid.density[1] - 0.1) < 1e-7 && Math.abs(grid.color[17] - 0.02) < 1e-7 && grid.density[3] === 0);
  // Round two touches point 1 again: its change since the received model (held change included) replaces the held one.
  const second = feedback.select({ rows: Uint32Array.of(1), density: Float32Array.of(0.6), color: Float32Array.of(0, 0) }, 1, 1, 1);
  assert.deepEqual(Array.from(second.rows), [1]);
  assert.deepEqual(Array.from(second.heldTouched), [], 'point 8 is held but was not touched this round: no zero row');
  assert.ok(Math.abs(second.density[0] - 0.6) < 1e-6, `${second.density[0]}`);
  const third = feedback.select({ rows: new Uint32Array(0), density: new Float32Array(0), color: new Float32Array(0) }, 1, 1, 1);
  assert.deepEqual(Array.from(third.rows), [8], 'a point held back goes out in a later round, touched again or not');
  assert.deepEqual(Array.from(third.touched), [0]);
  assert.ok(Math.abs(third.color[1] - 0.02) < 1e-7);
  assert.equal(feedback.heldNorm(), 0);
});

/** One HierFAVG round with κ2 = 1: two edges average their devices per voxel, the cloud averages the edges. */
async function round(
  devices: readonly DeviceTrainer[],
  model: ModelParams,
  r: number,
  options: Record<string, number>,
): Promise<ModelUpdate[]> {
  const edges: ModelUpdate[][] = [[], []];
  for (let i = 0; i < devices.length; i++) edges[i % 2].push(await devices[i].train(model, { round: r, localSteps: 5, options }));
  const strategy = new FedAvg();
  strategy.apply(model, strategy.aggregate(edges.map((e) => strategy.aggregate(e))));
  return edges.flat();
}

async function federatedPsnr(
  uploadShare: number,
  { heldAsZero = 0, rounds = 8 } = {},
): Promise<{ psnr: number; sent: number; touched: number; zeroRows: number }> {
  const task = new RadianceVoxelGridTask(scene, taskOptions);
  try {
    const model = task.initModel();
    const devices = Array.from({ length: task.numDevices }, (_, i) => task.createDevice(i));
    let sent = 0;
    let touched = 0;
    let zeroRows = 0;
    for (let r = 1; r <= rounds; r++) {
      const updates = await round(devices, model, r, { ...deviceOptions, uploadShare, heldAsZero });
      for (const u of updates) {
        sent += (u.delta.get(DENSITY_TENSOR) as SparseRows).rows.length;
        touched += (u.delta.get('density_grad_sq') as SparseRows).rows.length;
        zeroRows += (u.delta.get(COLOR_TENSOR) as SparseRows).zeroRows?.length ?? 0;
      }
    }
    return { psnr: (await task.evaluate(model)).psnr, sent, touched, zeroRows };
  } finally {
    await task.close();
  }
}

test('devices uploading a fifth of the voxels they touch, holding the rest, still train the scene', async () => {
  const full = await federatedPsnr(1);
  const pruned = await federatedPsnr(0.2);
  assert.ok(pruned.sent < 0.25 * full.sent, `pruned uploads sent ${pruned.sent} rows, full ${full.sent}`);
  assert.ok(pruned.touched < full.touched, 'moments go up only for the points sent');
  // Measured: 27.4 dB against 32.2 with full uploads after 8 rounds of 5 steps (10.4 dB untrained); 29.1
  // against 33.9 after 16 rounds. Pruning slows this short run a lot: see docs/decisions.md.
  assert.ok(pruned.psnr > 26, `pruned ${pruned.psnr} dB`);
  assert.ok(pruned.psnr > full.psnr - 6, `pruned ${pruned.psnr} dB, full uploads ${full.psnr} dB`);
});

test('counting the points a device touched but held back as zeros brings a fifth of the uploads near full uploads', async () => {
  const plain = await federatedPsnr(0.2, { rounds: 16 });
  const zeros = await federatedPsnr(0.2, { heldAsZero: 1, rounds: 16 });
  assert.equal(plain.zeroRows, 0, 'without heldAsZero no zero rows go up');
  assert.ok(zeros.zeroRows > 3 * zeros.sent, `${zeros.zeroRows} zero rows against ${zeros.sent} sent (4 held for 1 sent, a little less)`);
  // Measured: 33.09 dB counting held points as zeros, 29.11 without, 33.90 with full uploads (16 rounds of 5 steps).
  assert.ok(zeros.psnr > 32, `held as zeros ${zeros.psnr} dB`);
  assert.ok(zeros.psnr > plain.psnr + 2, `held as zeros ${zeros.psnr} dB, left out ${plain.psnr} dB`);
});

test('a device whose cached radiance model is stale or corrupted downloads it whole and trains the same update', async () => {
  const task = new RadianceVoxelGridTask(scene, taskOptions);
  const header: RoundRequestHeader = { roundId: 'r', round: 2, kind: 'train', localSteps: 3, options: deviceOptions };
  try {
    const model = task.initModel();
    const trainers = Array.from({ length: task.numDevices }, (_, i) => task.createDevice(i));
    await round(trainers, model, 1, deviceOptions);
    const downlink = new ModelDownlink({ dtype: 'float32', rowFraction: 1, energy: 1, history: 2, entropy: 'none' });
    const cache = new DeviceModelCache();
    downlink.advance(model, 1, 'v1');
    const first = downlink.frames(header);
    const held = cache.resolve(decodeRoundRequest(first.frameFor('d').frame));
    assert.ok('model' in held);
    downlink.delivered('d', first.checksum);
    // The next version changes a few hundred points (as a round of pruned uploads does).
    for (const name of [DENSITY_TENSOR, COLOR_TENSOR]) {
      const t = model.get(name)!;
      const width = t.shape[1];
      for (let v = 1000; v < 1300; v++) for (let j = 0; j < width; j++) t.values[v * width + j] += 0.01 * (j + 1);
    }
    downlink.advance(model, 2, 'v2');
    // The dense colour grid goes wrong in the device's memory between rounds.
    held.model.get(COLOR_TENSOR)!.values[123] += 0.5;
    const frames = downlink.frames(header);
    const patched = frames.frameFor('d');
    assert.equal(patched.full, false);
    assert.ok(patched.frame.byteLength < frames.fullFrame().byteLength / 2, 'the patch is smaller than the whole model');
    assert.deepEqual(cache.resolve(decodeRoundRequest(patched.frame)), { resync: 'checksum mismatch after patching' });
    const recovered = cache.resolve(decodeRoundRequest(frames.fullFrame()));
    assert.ok('model' in recovered);
    assert.equal(modelChecksum(recovered.model), modelChecksum(model));
    // A stale cache (version 1 while the edge is at 2, with no history left for it) is sent the whole model.
    const stale = new ModelDownlink({ dtype: 'float32', rowFraction: 1, energy: 1, history: 0, entropy: 'none' });
    stale.advance(model, 2, 'v2');
    const fresh = stale.frames(header).frameFor('d');
    assert.equal(fresh.full, true);
    const whole = new DeviceModelCache().resolve(decodeRoundRequest(fresh.frame));
    assert.ok('model' in whole && modelChecksum(whole.model) === modelChecksum(model));
    // The round's result does not depend on the detour: the same update as from the model itself.
    const fromCache = await task.createDevice(0).train(recovered.model, { round: 3, localSteps: 3, options: deviceOptions });
    const direct = await task.createDevice(0).train(cloneModel(model), { round: 3, localSteps: 3, options: deviceOptions });
    for (const [name, t] of direct.delta) {
      assert.deepEqual(Array.from(fromCache.delta.get(name)!.values), Array.from(t.values), `${name} differs`);
    }
  } finally {
    await task.close();
  }
});

/** The procedural scene's model after six federated rounds, as a model file holds it, given to `use`. */
async function withSixRoundModel(
  use: (saved: Parameters<typeof encodeCompactRadianceModel>[0], task: RadianceVoxelGridTask) => Promise<void>,
): Promise<void> {
  const task = new RadianceVoxelGridTask(scene, taskOptions);
  try {
    const model = task.initModel();
    const trainers = Array.from({ length: task.numDevices }, (_, i) => task.createDevice(i));
    for (let r = 1; r <= 6; r++) await round(trainers, model, r, deviceOptions);
    await use({ grid: task.grid(model), settings: task.settings, meta: { scene: 'procedural' } }, task);
  } finally {
    await task.close();
  }
}

test('the compact model keeps the points a render reads: a fraction of the bytes, renders close to the full model', async () => {
  await withSixRoundModel(async (saved, task) => {
    const fullBytes = encodeRadianceModel(saved).byteLength;
    const exact = await encodeCompactRadianceModel(saved, { keepAlpha: task.settings.occupancyAlpha });
    const faint = await encodeCompactRadianceModel(saved, { keepAlpha: 0.05 });
    assert.ok(exact.byteLength < fullBytes / 2, `compact ${exact.byteLength} B, full ${fullBytes} B`);
    assert.ok(faint.byteLength < exact.byteLength, `keepAlpha 0.05: ${faint.byteLength} B, renderer's threshold ${exact.byteLength} B`);
    const full = evaluateViews(new GridRenderer(saved.grid, saved.settings), scene.test, false);
    const decoded = decodeRadianceModel(exact, 'compact');
    const compact = evaluateViews(new GridRenderer(decoded.grid, decoded.settings), scene.test, false);
    assert.ok(compact.psnr > full.psnr - 0.3, `compact ${compact.psnr} dB, full ${full.psnr} dB`);
    const agreement = psnr(compact.renders[0].rgb, full.renders[0].rgb);
    assert.ok(agreement > 35, `compact against full renders: ${agreement} dB`);
    assert.deepEqual(decoded.meta, { scene: 'procedural' });
    const broken = exact.slice(0, exact.byteLength - 20);
    assert.throws(() => decodeRadianceModel(broken, 'cut.strc'), /cut\.strc: body/);
  });
});

test('a compact model with a colour codebook: fewer bytes than int8 colour, renders close; exact points render closer; forged indices and ordinals are refused by name', async () => {
  await withSixRoundModel(async (saved, task) => {
    const keepAlpha = task.settings.occupancyAlpha;
    const int8 = await encodeCompactRadianceModel(saved, { keepAlpha });
    const coded = await encodeCompactRadianceModel(saved, { keepAlpha, codebook: 256 });
    assert.ok(coded.byteLength < int8.byteLength, `codebook ${coded.byteLength} B, int8 colour ${int8.byteLength} B`);
    assert.deepEqual(
      await encodeCompactRadianceModel(saved, { keepAlpha, codebook: 256 }),
      coded,
      'the codebook is fitted deterministically',
    );
    const full = evaluateViews(new GridRenderer(saved.grid, saved.settings), scene.test, false);
    const rendered = (bytes: Uint8Array) => {
      const decoded = decodeRadianceModel(bytes, 'coded.strc');
      return evaluateViews(new GridRenderer(decoded.grid, decoded.settings), scene.test, false);
    };
    const compact = rendered(coded);
    assert.ok(compact.psnr > full.psnr - 0.5, `codebook ${compact.psnr} dB, full ${full.psnr} dB`);
    // The points the codebook serves worst kept exact: closer to the full model's renders, for a few more bytes.
    const withExact = await encodeCompactRadianceModel(saved, { keepAlpha, codebook: 256, codebookExact: 0.05 });
    assert.ok(withExact.byteLength > coded.byteLength && withExact.byteLength < int8.byteLength);
    const agreement = (r: typeof full) => r.renders.reduce((sum, view, i) => sum + psnr(view.rgb, full.renders[i].rgb), 0);
    const exactRenders = rendered(withExact);
    assert.ok(agreement(exactRenders) > agreement(compact), `exact points: ${agreement(exactRenders)} against ${agreement(compact)}`);
    // One index pointed past the codebook's end: the decoder names it instead of reading past the codes.
    const view = new DataView(coded.buffer, coded.byteOffset, coded.byteLength);
    const bodyAt = 12 + view.getUint32(8, true);
    const header = JSON.parse(Buffer.from(coded.subarray(12, bodyAt)).toString('utf8'));
    const C = saved.grid.channels;
    const pad4 = (n: number) => (n + 3) & ~3;
    const points = header.geometry.dims.reduce((a: number, b: number) => a * b, 1);
    const firstIndexAt = pad4(Math.ceil(points / 8)) + pad4(2 * header.keptPoints) + pad4(2 * 256 * C);
    const body = brotliDecompressSync(coded.subarray(bodyAt));
    body.writeUInt16LE(256, firstIndexAt);
    const forged = Buffer.concat([coded.subarray(0, bodyAt), brotliCompressSync(body)]);
    assert.throws(
      () => decodeRadianceModel(forged, 'forged.strc'),
      /forged\.strc: point 0's colour index 256 is outside the codebook of 256/,
    );
    // An exact point named twice (its ordinal not above the one before): refused by name.
    const exactBodyAt = 12 + new DataView(withExact.buffer, withExact.byteOffset).getUint32(8, true);
    const exactBody = brotliDecompressSync(withExact.subarray(exactBodyAt));
    const ordinalsAt = firstIndexAt + pad4(2 * header.keptPoints);
    exactBody.writeUInt32LE(exactBody.readUInt32LE(ordinalsAt), ordinalsAt + 4);
    const repeated = Buffer.concat([withExact.subarray(0, exactBodyAt), brotliCompressSync(exactBody)]);
    assert.throws(() => decodeRadianceModel(repeated, 'repeated.strc'), /repeated\.strc: exact point 1's ordinal \d+ is not increasing/);
  });
});

test('an edge encodes its compact model off its event loop, once per model for every request meanwhile', async () => {
  // A grid large enough that brotli takes many event-loop turns; every point occupied so nothing is pruned.
  const task = new RadianceVoxelGridTask(scene, { ...taskOptions, points: 72 ** 3 });
  try {
    const model = task.initModel();
    for (const tensor of model.values()) for (let i = 0; i < tensor.values.length; i++) tensor.values[i] = 3 + Math.sin(i);
    let turns = 0;
    let encoding = true;
    const countTurns = (): void => {
      turns++;
      if (encoding) setImmediate(countTurns);
    };
    setImmediate(countTurns);
    const first = task.compactModel(model);
    const second = task.compactModel(model);
    assert.equal(second, first, 'a request while the model encodes waits for the same encoding');
    const bytes = await first;
    encoding = false;
    // Encoded on the calling thread, the promise would settle before a single turn of the loop.
    assert.ok(turns > 1, `the event loop turned ${turns} times while the compact model encoded`);
    assert.ok(bytes.byteLength > 0);
    assert.equal(await task.compactModel(model), bytes, 'the same model is not encoded twice');
    const next = cloneModel(model);
    assert.notEqual(await task.compactModel(next), bytes, 'a new model is encoded anew');
  } finally {
    await task.close();
  }
});

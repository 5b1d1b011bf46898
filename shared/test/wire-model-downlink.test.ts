// Downloads that send what changed: a device's model after patches is bit-identical to the whole model
// (lossless float32), a device that missed patches is brought up by the patches it missed or, too far
// behind, by the whole model; a missing or corrupted cache asks for the whole model (Resync); lossy
// downlinks track the target with the sender's error feedback.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DeviceModelCache,
  ModelDownlink,
  SeededRandom,
  cloneModel,
  decodeRoundRequest,
  dense,
  modelChecksum,
  type Downlink,
  type ModelParams,
  type RoundRequestHeader,
} from '../src/index.js';

const header: RoundRequestHeader = { roundId: 'r1', round: 1, kind: 'train', localSteps: 1, options: {} };
const ROWS = 50;
const WIDTH = 8;

function initial(random: SeededRandom): ModelParams {
  const table = new Float32Array(ROWS * WIDTH).map(() => random.normal());
  return new Map([
    ['table', dense([ROWS, WIDTH], table)],
    ['bias', dense([3], Float32Array.of(0.1, 0.2, 0.3))],
  ]);
}

/** Changes a few rows of the table (as a round of sparse updates does) and the whole bias. */
function step(model: ModelParams, random: SeededRandom): void {
  const table = model.get('table')!.values;
  for (let k = 0; k < 5; k++) {
    const row = Math.floor(random.next() * ROWS);
    for (let j = 0; j < WIDTH; j++) table[row * WIDTH + j] += 0.01 * random.normal();
  }
  const bias = model.get('bias')!.values;
  for (let i = 0; i < bias.length; i++) bias[i] += 0.001;
}

function bits(model: ModelParams): number[][] {
  return [...model].map(([, t]) => [...new Uint32Array(t.values.buffer, t.values.byteOffset, t.values.length)]);
}

function send(downlink: ModelDownlink, cache: DeviceModelCache, deviceId: string): { model?: ModelParams; resync?: string; bytes: number } {
  const frames = downlink.frames(header);
  const { frame } = frames.frameFor(deviceId);
  let resolved = cache.resolve(decodeRoundRequest(frame));
  let bytes = frame.byteLength;
  if ('resync' in resolved) {
    const whole = frames.fullFrame();
    bytes += whole.byteLength;
    resolved = cache.resolve(decodeRoundRequest(whole));
    if ('resync' in resolved) return { resync: resolved.resync, bytes };
  }
  downlink.delivered(deviceId, frames.checksum);
  return { model: resolved.model, bytes };
}

const lossless: Downlink = { dtype: 'float32', rowFraction: 1, energy: 1, history: 3, entropy: 'none' };

test('float32 patches give a model bit-identical to the whole model, in a fraction of its bytes', () => {
  const random = new SeededRandom(1);
  const target = initial(random);
  const downlink = new ModelDownlink(lossless);
  const cache = new DeviceModelCache();
  const firstBytes = (() => {
    downlink.advance(target, 1, 'v1');
    const result = send(downlink, cache, 'd');
    assert.deepEqual(bits(result.model!), bits(target));
    return result.bytes;
  })();
  for (let v = 2; v <= 6; v++) {
    step(target, random);
    downlink.advance(target, v, `v${v}`);
    const result = send(downlink, cache, 'd');
    assert.deepEqual(bits(result.model!), bits(target), `version ${v}`);
    assert.ok(result.bytes < firstBytes / 3, `a patch of 5 rows takes ${result.bytes} bytes, the whole model ${firstBytes}`);
    assert.equal(cache.state?.checksum, modelChecksum(target));
  }
});

test('the same model again sends no patch; a device that missed patches gets them, one too far behind the whole model', () => {
  const random = new SeededRandom(2);
  const target = initial(random);
  const downlink = new ModelDownlink(lossless);
  const caches = { a: new DeviceModelCache(), b: new DeviceModelCache(), c: new DeviceModelCache() };
  downlink.advance(target, 1, 'v1');
  for (const [id, cache] of Object.entries(caches)) send(downlink, cache, id);
  downlink.advance(target, 1, 'v1');
  const again = downlink.frames(header).frameFor('a');
  assert.equal(again.full, false);
  assert.equal(decodeRoundRequest(again.frame).patches.length, 0, 'the model the device holds: nothing to send');
  for (let v = 2; v <= 6; v++) {
    step(target, random);
    downlink.advance(target, v, `v${v}`);
    send(downlink, caches.a, 'a');
    if (v === 3) send(downlink, caches.b, 'b');
  }
  const frames = downlink.frames(header);
  const b = frames.frameFor('b');
  assert.equal(b.full, false);
  assert.equal(decodeRoundRequest(b.frame).patches.length, 3, 'b missed versions 4, 5 and 6');
  assert.deepEqual(bits(send(downlink, caches.b, 'b').model!), bits(target));
  assert.equal(frames.frameFor('c').full, true, 'c is 5 patches behind, the history holds 3');
  assert.deepEqual(bits(send(downlink, caches.c, 'c').model!), bits(target));
});

test('a device whose model is missing or corrupted asks for the whole model and ends with the right one', () => {
  const random = new SeededRandom(3);
  const target = initial(random);
  const downlink = new ModelDownlink(lossless);
  const cache = new DeviceModelCache();
  downlink.advance(target, 1, 'v1');
  const held = send(downlink, cache, 'd').model!;
  held.get('table')!.values[7] += 1e-3; // memory gone wrong, or a trainer writing into what it should only read
  step(target, random);
  downlink.advance(target, 2, 'v2');
  const patched = cache.resolve(decodeRoundRequest(downlink.frames(header).frameFor('d').frame));
  assert.deepEqual(patched, { resync: 'checksum mismatch after patching' });
  assert.deepEqual(bits(send(downlink, cache, 'd').model!), bits(target));

  cache.clear();
  assert.deepEqual(cache.resolve(decodeRoundRequest(downlink.frames(header).frameFor('d').frame)), { resync: 'no model held' });
  assert.deepEqual(bits(send(downlink, cache, 'd').model!), bits(target));
});

test('lossy downlinks: int8 differences with the error kept by the sender track the target; rowFraction caps the rows', () => {
  for (const options of [
    { dtype: 'int8', rowFraction: 1, energy: 1, history: 2, entropy: 'none' },
    { dtype: 'float16', rowFraction: 1, energy: 1, history: 2, entropy: 'none' },
    { dtype: 'int8', rowFraction: 0.2, energy: 1, history: 2, entropy: 'none' },
    { dtype: 'int8', rowFraction: 1, energy: 0.8, history: 2, entropy: 'none' },
  ] as const) {
    const random = new SeededRandom(4);
    const target = initial(random);
    const downlink = new ModelDownlink(options);
    const cache = new DeviceModelCache();
    downlink.advance(target, 1, 'v1');
    send(downlink, cache, 'd');
    let model: ModelParams | undefined;
    let patchRows = 0;
    for (let v = 2; v <= 12; v++) {
      step(target, random);
      downlink.advance(target, v, `v${v}`);
      const { frame, full } = downlink.frames(header).frameFor('d');
      // A patch as large as the whole model (every row off by the first quantisation) sends the whole model.
      const table = decodeRoundRequest(frame).patches[0]?.tensors.find((t) => t.name === 'table')?.value;
      if (!full && table) patchRows = Math.max(patchRows, table.kind === 'sparse' ? table.rows.length : ROWS);
      model = send(downlink, cache, 'd').model;
    }
    // With nothing changing, the carried error goes out until the replica stops moving.
    for (let v = 13; v <= 40; v++) {
      downlink.advance(cloneModel(target), v, `v${v}`);
      model = send(downlink, cache, 'd').model;
    }
    const got = model!.get('table')!.values;
    const want = target.get('table')!.values;
    const error = Math.max(...got.map((x, i) => Math.abs(x - want[i])));
    assert.ok(error < 1e-3, `${options.dtype} rowFraction ${options.rowFraction}: largest error ${error}`);
    assert.ok(patchRows <= Math.ceil(options.rowFraction * ROWS), `${patchRows} rows in a patch`);
  }
});

// The links' entropy stage with node:zlib's brotli: frames round-trip bit for bit through the Compressed
// envelope (byte planes, then brotli), small frames and `none` travel as they are, a downlink frame is
// compressed once for every device it goes to, and a frame that would expand past maxFrameBytes is refused as a
// decompression bomb, whether it declares its size or lies about it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { brotliCompressSync, constants } from 'node:zlib';
import {
  compressFrame,
  decodeEnvelope,
  decodeUpdateReply,
  DecompressionBombError,
  dense,
  encodeEnvelope,
  MIN_COMPRESSED_FRAME_BYTES,
  ModelDownlink,
  SeededRandom,
  strata,
  UpdateEncoder,
  type ModelParams,
} from '@strata/shared';
import { registerNodeEntropyCodecs } from '../src/entropy/node-brotli-codec.js';

registerNodeEntropyCodecs();

const BROTLI_PLANES = strata.Compressed.Codec.BROTLI_BYTE_PLANES;

function randomModel(seed: number, rows = 400, width = 16): ModelParams {
  const random = new SeededRandom(seed);
  const values = Float32Array.from({ length: rows * width }, () => random.normal() * 0.05);
  return new Map([['table', dense([rows, width], values)]]);
}

function updateFrames(entropy: 'brotli' | 'none', dtype: 'float32' | 'int8') {
  const encoder = new UpdateEncoder({ dtype, perRowScale: true, errorFeedback: false, entropy });
  return encoder.encode(
    { delta: randomModel(3), weight: 2, metrics: { loss: 0.5 } },
    { roundId: 'r1', baseVersion: 1, sender: 'device-1' },
  );
}

test('update frames round-trip bit for bit through brotli, smaller than they were', () => {
  for (const dtype of ['float32', 'int8'] as const) {
    const raw = updateFrames('none', dtype);
    const packed = updateFrames('brotli', dtype);
    assert.equal(decodeEnvelope(packed, {}).body, 'update');
    assert.ok(packed.byteLength < raw.byteLength, `${dtype}: ${packed.byteLength} < ${raw.byteLength} bytes`);
    const a = decodeUpdateReply(raw);
    const b = decodeUpdateReply(packed);
    assert.deepEqual(b, a, `${dtype}: the same update, header and metrics`);
    // Byte planes of a length not divisible by 4 keep their tail: every length round-trips.
    for (let cut = 0; cut < 4; cut++) {
      const frame = encodeEnvelope({ sender: 'x'.repeat(600 + cut), resync: { roundId: 'r', reason: 'y'.repeat(cut) } });
      const compressed = compressFrame(frame, 'brotli');
      assert.notEqual(compressed, frame, 'a repetitive frame of 600 bytes is worth compressing');
      assert.deepEqual(decodeEnvelope(compressed), decodeEnvelope(frame));
    }
  }
});

test('small frames, incompressible frames and entropy none travel as they are', () => {
  const small = encodeEnvelope({ sender: 'device-1', resync: { roundId: 'r1', reason: 'missing' } });
  assert.ok(small.byteLength < MIN_COMPRESSED_FRAME_BYTES);
  assert.equal(compressFrame(small, 'brotli'), small);
  const raw = updateFrames('none', 'float32');
  assert.equal(compressFrame(raw, 'none'), raw);
  const random = new SeededRandom(9);
  const noise = encodeEnvelope({
    sender: String.fromCharCode(...Array.from({ length: 4000 }, () => 33 + Math.floor(random.next() * 90))),
    resync: { roundId: 'r' },
  });
  const packed = compressFrame(noise, 'brotli');
  assert.ok(packed === noise || packed.byteLength < noise.byteLength, 'never larger than the frame');
});

test('a downlink frame is compressed once and the same bytes go to every device', () => {
  const downlink = new ModelDownlink({ dtype: 'int8', rowFraction: 1, energy: 1, history: 4, entropy: 'brotli' });
  const plain = new ModelDownlink({ dtype: 'int8', rowFraction: 1, energy: 1, history: 4, entropy: 'none' });
  const header = { roundId: 'r1', round: 1, kind: 'train' as const, localSteps: 1, options: {} };
  for (const d of [downlink, plain]) d.advance(randomModel(1), 1, 'v1');
  const frames = downlink.frames(header);
  const first = frames.frameFor('device-1');
  const second = frames.frameFor('device-2');
  assert.equal(second.frame, first.frame, 'one compressed frame object for every new device');
  const raw = plain.frames(header).frameFor('device-1').frame;
  assert.ok(first.frame.byteLength < raw.byteLength, `${first.frame.byteLength} < ${raw.byteLength} bytes`);
  assert.deepEqual(decodeEnvelope(first.frame), decodeEnvelope(raw), 'the same request once expanded');
});

test('a decompression bomb is refused: declared past maxFrameBytes, or lying about its size', () => {
  const bombBytes = 64 * 1024 * 1024;
  const data = brotliCompressSync(new Uint8Array(bombBytes), { params: { [constants.BROTLI_PARAM_QUALITY]: 1 } });
  assert.ok(data.byteLength < 64 * 1024, `the bomb is ${data.byteLength} bytes, expanding 1000-fold and more`);
  const declared = encodeEnvelope({ compressed: { codec: BROTLI_PLANES, rawBytes: bombBytes, data } });
  assert.throws(
    () => decodeEnvelope(declared, { maxFrameBytes: 1024 * 1024 }),
    (error: unknown) =>
      error instanceof DecompressionBombError &&
      /declares 67108864 bytes expanded, more than maxFrameBytes 1048576 \(a decompression bomb\)/.test(error.message),
  );
  const lying = encodeEnvelope({ compressed: { codec: BROTLI_PLANES, rawBytes: 4096, data } });
  assert.throws(
    () => decodeEnvelope(lying, { maxFrameBytes: 1024 * 1024 }),
    (error: unknown) =>
      error instanceof DecompressionBombError && /does not expand to its declared 4096 bytes .*decompression bomb/.test(error.message),
  );
  // Shorter than declared, an unknown codec, a compressed frame inside a compressed frame: each refused by name.
  const short = encodeEnvelope({ compressed: { codec: BROTLI_PLANES, rawBytes: 4096, data: brotliCompressSync(new Uint8Array(100)) } });
  assert.throws(() => decodeEnvelope(short), /expands to 100 bytes, not its declared 4096/);
  assert.throws(
    () => decodeEnvelope(encodeEnvelope({ compressed: { codec: 7 as strata.Compressed.Codec, rawBytes: 10, data } })),
    /unknown codec 7/,
  );
  const inner = compressFrame(updateFrames('none', 'int8'), 'brotli');
  const nested = encodeEnvelope({
    compressed: { codec: BROTLI_PLANES, rawBytes: inner.byteLength, data: brotliCompressSync(planes(inner)) },
  });
  assert.throws(() => decodeEnvelope(nested), /a compressed frame holds another compressed frame/);
});

/** Byte planes as the sender makes them (byte-planes.ts), written out again so the test checks the format. */
function planes(bytes: Uint8Array): Uint8Array {
  const words = bytes.byteLength >>> 2;
  const out = new Uint8Array(bytes.byteLength);
  for (let i = 0; i < 4 * words; i++) out[(i & 3) * words + (i >>> 2)] = bytes[i];
  out.set(bytes.subarray(4 * words), 4 * words);
  return out;
}

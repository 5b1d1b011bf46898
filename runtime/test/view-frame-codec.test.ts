import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deflateSync } from 'node:zlib';
import jpeg from 'jpeg-js';
import { DataError } from '@strata/shared';
import {
  decodeRgb8Frame,
  decodeRgbDeflateFrame,
  encodeColorFrame,
  encodeJpegFrame,
  encodeRgb8Frame,
  encodeRgbDeflateFrame,
  nodeViewFrameDecoder,
} from '../src/view/view-frame-codec.js';
import { encodeJpegReused } from '../src/view/reused-jpeg-encoder.js';

function gradient(width: number, height: number): Float32Array {
  const rgb = new Float32Array(3 * width * height);
  for (let p = 0; p < width * height; p++) {
    const x = p % width,
      y = Math.floor(p / width);
    rgb[3 * p] = x / (width - 1);
    rgb[3 * p + 1] = y / (height - 1);
    rgb[3 * p + 2] = ((x * y) % 17) / 16;
  }
  return rgb;
}

test('the reused JPEG encoder writes the bytes jpeg-js writes, image after image and across qualities', () => {
  for (const [width, height, quality] of [
    [40, 24, 80],
    [17, 9, 80],
    [40, 24, 35],
    [40, 24, 80],
  ] as const) {
    const data = new Uint8Array(4 * width * height).map((_, i) => (i * 37 + width) % 256);
    const expected = new Uint8Array(jpeg.encode({ width, height, data }, quality).data);
    assert.deepEqual(encodeJpegReused({ width, height, data }, quality), expected, `${width}x${height} at ${quality}`);
  }
  // And a frame through the codec decodes to the image it was (JPEG: close, not exact).
  const rgb = gradient(32, 32);
  const back = nodeViewFrameDecoder.color(encodeJpegFrame(rgb, 32, 32, 90), 32, 32, 'jpeg');
  let worst = 0;
  for (let i = 0; i < rgb.length; i++) worst = Math.max(worst, Math.abs(back[i] - rgb[i]));
  assert.ok(worst < 0.25, `JPEG round trip off by ${worst}`);
});

test('rgb8-deflate frames round-trip to 8 bits and refuse bytes of another size or not deflated', () => {
  const rgb = gradient(30, 20);
  const back = nodeViewFrameDecoder.color(encodeRgbDeflateFrame(rgb, 30, 20), 30, 20, 'rgb8-deflate');
  for (let i = 0; i < rgb.length; i++) assert.ok(Math.abs(back[i] - rgb[i]) <= 0.5 / 255 + 1e-7, `value ${i}: ${back[i]} vs ${rgb[i]}`);
  assert.throws(() => decodeRgbDeflateFrame(encodeRgbDeflateFrame(rgb, 30, 20), 20, 20), DataError);
  assert.throws(() => decodeRgbDeflateFrame(new Uint8Array([1, 2, 3, 4]), 30, 20), /does not inflate/);
});

test('rgb8 frames are the 8-bit rgb bytes themselves: the image rgb8-deflate gives, and a frame of another size is refused', () => {
  const rgb = gradient(30, 20);
  rgb[0] = -0.5; // out of range and not a number: clamped as rgb8-deflate clamps them
  rgb[1] = 1.7;
  rgb[2] = Number.NaN;
  const bytes = encodeColorFrame('rgb8', rgb, 30, 20, 80);
  assert.equal(bytes.length, 3 * 30 * 20);
  assert.deepEqual([bytes[0], bytes[1], bytes[2]], [0, 255, 0]);
  const back = nodeViewFrameDecoder.color(bytes, 30, 20, 'rgb8');
  assert.deepEqual(back, decodeRgbDeflateFrame(encodeRgbDeflateFrame(rgb, 30, 20), 30, 20));
  for (let i = 3; i < rgb.length; i++) assert.ok(Math.abs(back[i] - rgb[i]) <= 0.5 / 255 + 1e-7, `value ${i}: ${back[i]} vs ${rgb[i]}`);
  // Malformed frames at the device's decoder: a byte short, a byte over, another frame's size, nothing, a
  // deflated frame where raw bytes belong.
  for (const bad of [
    bytes.subarray(1),
    new Uint8Array([...bytes, 0]),
    encodeRgb8Frame(rgb.subarray(0, 3 * 20 * 20), 20, 20),
    new Uint8Array(0),
  ])
    assert.throws(
      () => nodeViewFrameDecoder.color(bad, 30, 20, 'rgb8'),
      (e: unknown) => e instanceof DataError && /the colour holds \d+ bytes, a 30x20 frame 1800/.test(e.message),
    );
  assert.throws(() => decodeRgb8Frame(encodeRgbDeflateFrame(rgb, 30, 20), 30, 20), DataError);
});

test('8-bit colour rounds each float32 as Math.round(v * 255) does, halfway values and their neighbours included', () => {
  // Every k / 255 and (k + 0.5) / 255 as float32, one step below and above each, and a spread of other floats.
  const values: number[] = [];
  const f = new Float32Array(1);
  const bits = new Uint32Array(f.buffer);
  for (let k = 0; k <= 255; k++)
    for (const x of [k / 255, (k + 0.5) / 255]) {
      f[0] = x;
      const at = bits[0];
      for (const step of [-1, 0, 1]) {
        bits[0] = at + step;
        values.push(f[0]);
      }
    }
  for (let b = 0x30000000; b < 0x3f800000; b += 4093) {
    bits[0] = b;
    values.push(f[0]);
  }
  const rgb = Float32Array.from(values.slice(0, 3 * Math.floor(values.length / 3)));
  const width = rgb.length / 3;
  const bytes = encodeRgb8Frame(rgb, width, 1);
  let differ = 0;
  for (let i = 0; i < rgb.length; i++) {
    const v = rgb[i];
    const expected = v >= 1 ? 255 : v > 0 ? Math.round(v * 255) : 0;
    if (bytes[i] !== expected) differ++;
  }
  assert.equal(differ, 0, `${differ} of ${rgb.length} values rounded otherwise than Math.round`);
});

test('8-bit colour decodes each byte k to the float32 k / 255, in both 8-bit codecs', () => {
  // 240 pixels of 3 bytes: every byte value 0-255 and a few more, decoded from rgb8 and from rgb8-deflate.
  const width = 240;
  const raw = Uint8Array.from({ length: 3 * width }, (_, i) => (i * 77) % 256);
  const fromRaw = nodeViewFrameDecoder.color(raw, width, 1, 'rgb8') as Float32Array;
  const fromDeflate = nodeViewFrameDecoder.color(new Uint8Array(deflateSync(raw)), width, 1, 'rgb8-deflate') as Float32Array;
  for (let i = 0; i < raw.length; i++) {
    assert.equal(fromRaw[i], Math.fround(raw[i] / 255), `byte ${raw[i]} from rgb8`);
    assert.equal(fromDeflate[i], Math.fround(raw[i] / 255), `byte ${raw[i]} from rgb8-deflate`);
  }
});

test('8-bit colour the renderer wrote (shared memory, as the render workers write it) is sent as the floats would have been encoded', () => {
  const width = 30,
    height = 20;
  const rgb = Float32Array.from({ length: 3 * width * height }, (_, i) => ((i * 37) % 301) / 300 - 0.002);
  const rgb8 = new Uint8Array(new SharedArrayBuffer(rgb.length));
  rgb8.set(encodeRgb8Frame(rgb, width, height));
  for (const codec of ['rgb8', 'rgb8-deflate'] as const) {
    const given = encodeColorFrame(codec, rgb, width, height, 80, rgb8);
    assert.deepEqual(given, encodeColorFrame(codec, rgb, width, height, 80), codec);
    assert.ok(!(given.buffer instanceof SharedArrayBuffer), `${codec}: a copy, not the renderer's buffer`);
  }
  assert.throws(() => encodeColorFrame('rgb8', rgb, width, height, 80, rgb8.subarray(1)), /needs 1800 bytes, got 1799/);
});

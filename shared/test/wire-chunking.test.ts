import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  ChunkAssembler,
  ConfigError,
  decodeEnvelope,
  decodeUpdate,
  encodeEnvelope,
  encodeUpdate,
  SeededRandom,
  splitFrame,
  WireFormatError,
  type strata,
  type TensorValue,
} from '../src/index.js';

function chunksOf(frame: Uint8Array, maxFrameBytes: number, transferId = 1): strata.IChunk[] {
  return splitFrame(frame, { maxFrameBytes, transferId, sender: 'edge-3' }).map((bytes) => {
    assert.ok(bytes.byteLength <= maxFrameBytes, `chunk frame of ${bytes.byteLength} bytes exceeds ${maxFrameBytes}`);
    const envelope = decodeEnvelope(bytes);
    assert.equal(envelope.body, 'chunk');
    return envelope.chunk as strata.IChunk;
  });
}

function rejects(action: () => unknown, message: RegExp): void {
  assert.throws(action, (error: unknown) => error instanceof WireFormatError && message.test(error.message));
}

test('split frames stay under the maximum and reassemble in any order', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 5000 }),
      fc.integer({ min: 90, max: 1200 }),
      fc.integer({ min: 1, max: 1e6 }),
      (frame, max, seed) => {
        const chunks = chunksOf(frame, max);
        new SeededRandom(seed).shuffle(chunks);
        const assembler = new ChunkAssembler();
        const results = chunks.map((chunk) => assembler.add(chunk));
        const whole = results.at(-1);
        assert.ok(whole, 'the last chunk completes the transfer');
        assert.ok(results.slice(0, -1).every((r) => r === undefined));
        assert.deepEqual(Buffer.from(whole), Buffer.from(frame));
        assert.equal(assembler.openTransfers, 0);
      },
    ),
    { seed: 51, numRuns: 200 },
  );
});

test('a large update frame crosses a 64 KiB frame limit in chunks and decodes, zero-copy, at the other end', () => {
  const values = Float32Array.from({ length: 300_000 }, (_, i) => Math.sin(i));
  const frame = encodeEnvelope({
    update: encodeUpdate(
      { delta: new Map([['w', { kind: 'dense', shape: [300, 1000], values }]]), weight: 1, metrics: {} },
      {
        roundId: 'r',
        baseVersion: 1,
        dtype: 'float32',
      },
    ),
  });
  const chunks = chunksOf(frame, 64 * 1024, 77);
  const fewest = Math.ceil(frame.byteLength / (64 * 1024));
  assert.ok(chunks.length >= fewest && chunks.length <= fewest + 1, `${chunks.length} chunks for ${frame.byteLength} bytes`);
  const assembler = new ChunkAssembler({ maxTransferBytes: 2 * 1024 * 1024 });
  let whole: Uint8Array | undefined;
  for (const chunk of chunks) whole = assembler.add(chunk) ?? whole;
  assert.ok(whole);
  const received = decodeUpdate(decodeEnvelope(whole).update).update.delta.get('w') as TensorValue;
  assert.equal(received.values.buffer, whole.buffer);
  assert.deepEqual(received.values, values);
});

test('transfers declaring more than the limit are rejected before anything is buffered', () => {
  const assembler = new ChunkAssembler({ maxTransferBytes: 1000 });
  rejects(
    () => assembler.add({ transferId: 5, index: 0, count: 2, totalBytes: 1001, data: new Uint8Array(10) }),
    /chunk 0 of transfer 5: total_bytes 1001 is larger than the limit 1000/,
  );
  assert.equal(assembler.openTransfers, 0);
});

test('chunks inconsistent with their transfer are rejected and drop the transfer', () => {
  const data = new Uint8Array(10);
  const start = (assembler: ChunkAssembler): void => {
    assert.equal(assembler.add({ transferId: 9, index: 0, count: 3, totalBytes: 30, data }), undefined);
  };
  const cases: [strata.IChunk, RegExp][] = [
    [{ transferId: 9, index: 3, count: 3, totalBytes: 30, data }, /chunk 3 of transfer 9: index 3 out of range for count 3/],
    [{ transferId: 9, index: 1, count: 4, totalBytes: 30, data }, /count 4 differs from the transfer's 3/],
    [{ transferId: 9, index: 1, count: 3, totalBytes: 31, data }, /total_bytes 31 differs from the transfer's 30/],
    [{ transferId: 9, index: 0, count: 3, totalBytes: 30, data }, /index 0 received twice/],
    [{ transferId: 9, index: 1, count: 3, totalBytes: 30, data: new Uint8Array(21) }, /31 bytes received, more than total_bytes 30/],
  ];
  for (const [chunk, message] of cases) {
    const assembler = new ChunkAssembler();
    start(assembler);
    rejects(() => assembler.add(chunk), message);
    assert.equal(assembler.openTransfers, 0, `dropped after ${message}`);
  }
  const short = new ChunkAssembler();
  short.add({ transferId: 2, index: 0, count: 2, totalBytes: 30, data });
  rejects(
    () => short.add({ transferId: 2, index: 1, count: 2, totalBytes: 30, data }),
    /transfer 2: 20 bytes received in all chunks, total_bytes says 30/,
  );
  rejects(() => new ChunkAssembler().add({ transferId: 1, index: 0, count: 0, totalBytes: 5, data }), /count 0 is impossible/);
  rejects(
    () => new ChunkAssembler().add({ transferId: 1, index: 0, count: 6, totalBytes: 5, data }),
    /count 6 is impossible for total_bytes 5/,
  );
});

test('only a bounded number of transfers stay open: the longest idle one is dropped', () => {
  const assembler = new ChunkAssembler({ maxOpenTransfers: 2 });
  const chunk = (transferId: number, index: number): strata.IChunk => ({
    transferId,
    index,
    count: 2,
    totalBytes: 2,
    data: Uint8Array.of(index),
  });
  assembler.add(chunk(1, 0));
  assembler.add(chunk(2, 0));
  assembler.add(chunk(3, 0));
  assert.equal(assembler.openTransfers, 2);
  assert.deepEqual(assembler.add(chunk(3, 1)), Uint8Array.of(0, 1));
  assert.deepEqual(assembler.add(chunk(2, 1)), Uint8Array.of(0, 1));
  assert.equal(assembler.add(chunk(1, 1)), undefined, 'transfer 1 was dropped and starts over');
  assembler.abort(1);
  assert.equal(assembler.openTransfers, 0);
});

test('a frame limit too small for the chunk envelope is a configuration error', () => {
  assert.throws(() => splitFrame(new Uint8Array(100), { maxFrameBytes: 20, transferId: 1 }), ConfigError);
  assert.throws(() => new ChunkAssembler({ maxTransferBytes: 0 }), ConfigError);
});

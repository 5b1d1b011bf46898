// How frames travel over the socket.io transport. A frame an edge sends to many devices is split into chunks
// once and the same chunks go to every device: each device must still get exactly its request's frame,
// whatever else is in flight, and one device refusing the transfer must not affect the others. A frame that
// fits one message is used where it landed: its size is checked against maxFrameBytes all the same.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { PeerRequestError, type PeerConnection, type RequestHandler } from '@strata/shared';
import { SocketIoTransportClient, SocketIoTransportServer } from '../src/index.js';
import { seededBytes } from '../src/testing/index.js';

const TOKEN = 'tier-secret';
const CHUNK = 16 * 1024;
const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

async function setup(devices: { id: string; handler: RequestHandler; maxFrameBytes?: number }[]): Promise<PeerConnection[]> {
  const server = await SocketIoTransportServer.listen({ token: TOKEN, chunkBytes: CHUNK });
  cleanups.push(() => server.close());
  for (const { id, handler, maxFrameBytes } of devices) {
    const client = new SocketIoTransportClient({ token: TOKEN, chunkBytes: CHUNK, ...(maxFrameBytes ? { maxFrameBytes } : {}) });
    const connection = await client.connect(server.address, { nodeId: id, role: 'device' }, handler);
    cleanups.push(() => connection.close());
  }
  return server.peers();
}

/** Replies with the frame's first byte and length, so a reply says which frame the device got. */
const fingerprint: RequestHandler = async (frame) => {
  const out = new Uint8Array(5);
  out[0] = frame[0];
  new DataView(out.buffer).setUint32(1, frame.byteLength);
  return out;
};

test('one chunked frame sent to several devices, with other chunked frames in flight, reaches each intact', async () => {
  const received = new Map<string, Uint8Array[]>();
  const recording =
    (id: string): RequestHandler =>
    async (frame) => {
      received.set(id, [...(received.get(id) ?? []), frame]);
      return fingerprint(frame);
    };
  const peers = await setup(['d1', 'd2', 'd3'].map((id) => ({ id, handler: recording(id) })));
  const shared = seededBytes(1, 10 * CHUNK + 7);
  shared[0] = 1;
  const other = seededBytes(2, 6 * CHUNK + 3);
  other[0] = 2;
  // The shared frame to every device, the same frame twice to one of them, another frame between.
  const replies = await Promise.all([
    ...peers.map((peer) => peer.request(shared, 10_000)),
    peers[0].request(other, 10_000),
    peers[0].request(shared, 10_000),
    peers[1].request(other, 10_000),
  ]);
  assert.deepEqual(
    replies.map((r) => [r[0], new DataView(r.buffer, r.byteOffset).getUint32(1)]),
    [
      [1, shared.byteLength],
      [1, shared.byteLength],
      [1, shared.byteLength],
      [2, other.byteLength],
      [1, shared.byteLength],
      [2, other.byteLength],
    ],
  );
  for (const [id, frames] of received) {
    for (const frame of frames) {
      const expected = frame[0] === 1 ? shared : other;
      assert.equal(Buffer.compare(frame, expected), 0, `${id} got a corrupted frame of ${frame.byteLength} bytes`);
    }
  }
  assert.deepEqual([...received.keys()].sort(), ['d1', 'd2', 'd3']);
  // The sender's frame is untouched by the sending (every peer's chunks are read from it).
  assert.equal(shared[0], 1);
});

test('a device refusing a shared transfer fails only its own request', async () => {
  const frame = seededBytes(3, 8 * CHUNK);
  const peers = await setup([
    { id: 'small', handler: fingerprint, maxFrameBytes: 4 * CHUNK },
    { id: 'large', handler: fingerprint },
  ]);
  const byId = (id: string): PeerConnection => peers.find((p) => p.info.nodeId === id) as PeerConnection;
  const [small, large] = await Promise.allSettled([byId('small'), byId('large')].map((peer) => peer.request(frame, 10_000)));
  assert.equal(small.status, 'rejected');
  assert.ok(small.reason instanceof PeerRequestError, String(small.reason));
  assert.match(small.reason.message, /refused: it declares 131072 bytes, more than maxFrameBytes 65536/);
  assert.equal(large.status, 'fulfilled');
  assert.equal(new DataView(large.value.buffer, large.value.byteOffset).getUint32(1), frame.byteLength);
  // The refusing device still answers the next request that fits.
  const reply = await byId('small').request(seededBytes(4, 2 * CHUNK), 10_000);
  assert.equal(new DataView(reply.buffer, reply.byteOffset).getUint32(1), 2 * CHUNK);
});

test("a frame in one message above the receiver's maxFrameBytes is refused like a chunked one", async () => {
  const [peer] = await setup([{ id: 'strict', handler: async (frame) => frame.subarray(0, 1), maxFrameBytes: CHUNK / 2 }]);
  // Inline on the server's side (below its chunkBytes), too large for the device.
  await assert.rejects(peer.request(seededBytes(5, CHUNK - 10), 10_000), (error: unknown) => {
    assert.ok(error instanceof PeerRequestError, String(error));
    assert.match(error.message, /request \d+ from the server refused: it declares 16374 bytes, more than maxFrameBytes 8192/);
    return true;
  });
  assert.deepEqual(await peer.request(Uint8Array.of(7, 8), 10_000), Uint8Array.of(7));
});

// The shaping proxy between real tiers: bytes arrive intact and in order whatever the jitter and loss; they
// arrive when the links say (checked on a virtual clock, so no wall-clock timing is asserted); connections
// through one shared link share its bandwidth; a full pipe pushes back on the sender.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createConnection, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { SeededRandom } from '@strata/shared';
import { seededBytes, waitFor } from '@strata/runtime/testing';
import { LinkPipe, type LinkProfile } from '../src/link-pipe.js';
import { ShapingProxy, type ShapedRoute } from '../src/real/shaping-proxy.js';
import { VirtualClock } from '../src/virtual-clock.js';

async function listen(onConnection: (socket: Socket) => void): Promise<{ server: Server; port: number }> {
  const server = createServer(onConnection);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

async function connect(port: number): Promise<Socket> {
  const socket = createConnection({ host: '127.0.0.1', port });
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  return socket;
}

function route(pipe: LinkPipe): ShapedRoute {
  return { up: [{ pipe, direction: 'up' }], down: [{ pipe, direction: 'down' }] };
}

const link = (p: Partial<LinkProfile>): LinkProfile => ({ latencyMs: 20, jitterMs: 0, upMbps: 8, downMbps: 8, loss: 0, ...p });
const sha = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

test('bytes cross the proxy intact and in order both ways, with jitter and loss on shared links', async () => {
  const echo = await listen((socket) => socket.pipe(socket));
  const backhaul = new LinkPipe(link({ latencyMs: 1, jitterMs: 3, upMbps: 800, downMbps: 800, loss: 0.0005 }), new SeededRandom(1));
  const proxy = await ShapingProxy.start({
    target: { host: '127.0.0.1', port: echo.port },
    route: () => {
      const access = new LinkPipe(link({ latencyMs: 1, jitterMs: 2, upMbps: 400, downMbps: 400 }), new SeededRandom(2));
      return {
        up: [
          { pipe: access, direction: 'up' },
          { pipe: backhaul, direction: 'up' },
        ],
        down: [
          { pipe: backhaul, direction: 'down' },
          { pipe: access, direction: 'down' },
        ],
      };
    },
  });
  try {
    const payloads = [seededBytes(1, 1_500_000), seededBytes(2, 700_000)];
    const received = await Promise.all(
      payloads.map(async (payload) => {
        const socket = await connect(proxy.port);
        const chunks: Buffer[] = [];
        socket.on('data', (chunk: Buffer) => chunks.push(chunk));
        const closed = new Promise<void>((resolve) => socket.on('end', resolve));
        for (let at = 0; at < payload.length; at += 50_000) socket.write(payload.subarray(at, at + 50_000));
        await waitFor(() => chunks.reduce((n, c) => n + c.length, 0) >= payload.length, 'the echo', 20_000);
        socket.end();
        await closed;
        return Buffer.concat(chunks);
      }),
    );
    received.forEach((bytes, i) => assert.equal(sha(bytes), sha(payloads[i])));
    assert.deepEqual(
      { ...proxy.stats(), connections: 2 },
      {
        connections: 2,
        bytesUp: 2_200_000,
        bytesDown: 2_200_000,
        deliveredUp: 2_200_000,
        deliveredDown: 2_200_000,
      },
    );
  } finally {
    await proxy.close();
    echo.server.close();
  }
});

test('bytes arrive after the latency, at the bandwidth, and connections sharing a link share it', async () => {
  const clock = new VirtualClock();
  let received = 0;
  const sink = await listen((socket) => socket.on('data', (chunk: Buffer) => (received += chunk.length)));
  // 8 Mbit/s: 1000 bytes per ms; 20 ms latency. Both connections cross the same link.
  const shared = new LinkPipe(link({}), new SeededRandom(0));
  const proxy = await ShapingProxy.start({ target: { host: '127.0.0.1', port: sink.port }, route: () => route(shared), clock });
  try {
    const senders = await Promise.all([connect(proxy.port), connect(proxy.port)]);
    for (const socket of senders) socket.write(seededBytes(3, 500_000));
    await waitFor(() => proxy.stats().bytesUp === 1_000_000, 'the proxy to read everything');
    const receivedBy = async (ms: number): Promise<number> => {
      await clock.advanceTo(ms);
      const expected = proxy.stats().deliveredUp;
      await waitFor(() => received === expected, `the sink to receive what was delivered by ${ms} ms`);
      return received;
    };
    assert.equal(await receivedBy(19), 0, 'nothing before the latency');
    const mid = await receivedBy(520);
    // By 520 ms, 500 ms of sending at 1000 B/ms: at most 500 KB, less at most one read chunk per connection.
    assert.ok(mid <= 500_000 && mid >= 500_000 - 2 * 65_536, `${mid} bytes by 520 ms`);
    assert.equal(await receivedBy(1021), 1_000_000, 'the two connections took 1000 ms together, not 500 each');
    for (const socket of senders) socket.destroy();
  } finally {
    await proxy.close();
    sink.server.close();
  }
});

test('a full link pushes back on the sender until its bytes are delivered', async () => {
  const clock = new VirtualClock();
  let received = 0;
  const sink = await listen((socket) => socket.on('data', (chunk: Buffer) => (received += chunk.length)));
  const pipe = new LinkPipe(link({}), new SeededRandom(0));
  const proxy = await ShapingProxy.start({
    target: { host: '127.0.0.1', port: sink.port },
    route: () => route(pipe),
    clock,
    highWaterMark: 100_000,
  });
  try {
    const sender = await connect(proxy.port);
    const payload = seededBytes(4, 4_000_000);
    sender.write(payload);
    await waitFor(() => proxy.stats().bytesUp > 100_000, 'the proxy to read past its high-water mark');
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.ok(proxy.stats().bytesUp < 1_000_000, `the proxy kept reading: ${proxy.stats().bytesUp} bytes with nothing delivered`);
    for (let ms = 100; received < payload.length; ms += 100) {
      await clock.advanceTo(ms);
      await new Promise((resolve) => setTimeout(resolve, 5));
      assert.ok(ms < 20_000, `only ${received} bytes delivered by ${ms} ms`);
    }
    assert.equal(received, payload.length);
    sender.destroy();
  } finally {
    await proxy.close();
    sink.server.close();
  }
});

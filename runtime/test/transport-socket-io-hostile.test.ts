// Hostile connections against the socket.io server: idle and surplus TCP connections, event floods and
// replies larger than the work needs are closed or refused, counted by reason, while honest devices work.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect as tcpConnect, type Socket } from 'node:net';
import { io, type Socket as ClientSocket } from 'socket.io-client';
import { WireFormatError, type ClientConnection, type RequestHandler } from '@strata/shared';
import { SocketIoTransportClient, SocketIoTransportServer, type SocketIoServerOptions, type TransportRefusal } from '../src/index.js';
import { waitFor } from '../src/testing/index.js';

const TOKEN = 'tier-secret';
const echo: RequestHandler = async (frame) => frame;
const cleanups: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

async function listen(options: Partial<SocketIoServerOptions> = {}) {
  const refusals: { reason: TransportRefusal; detail: string }[] = [];
  const server = await SocketIoTransportServer.listen({
    token: TOKEN,
    onRefusal: (reason, detail) => refusals.push({ reason, detail }),
    ...options,
  });
  cleanups.push(() => server.close());
  return { server, refusals };
}

async function honest(address: string, nodeId: string): Promise<ClientConnection> {
  const connection = await new SocketIoTransportClient({ token: TOKEN }).connect(address, { nodeId, role: 'device' }, echo);
  cleanups.push(() => connection.close());
  return connection;
}

function rawTcp(address: string): Promise<Socket> {
  const { hostname, port } = new URL(address);
  return new Promise((resolve, reject) => {
    const socket = tcpConnect(Number(port), hostname, () => resolve(socket));
    socket.on('error', reject);
    cleanups.push(() => void socket.destroy());
  });
}

const closed = (socket: Socket): Promise<void> =>
  new Promise((resolve) => (socket.closed ? resolve() : socket.once('close', () => resolve())));

async function rawDevice(address: string, nodeId: string): Promise<ClientSocket> {
  const socket = io(address, {
    transports: ['websocket'],
    forceNew: true,
    reconnection: false,
    auth: { token: TOKEN, nodeId, role: 'device', sessionId: nodeId },
  });
  cleanups.push(() => void socket.disconnect());
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  return socket;
}

test('connections above the per-address cap are closed at once and counted; the devices already in keep working', async () => {
  const { server, refusals } = await listen({ maxConnectionsPerAddress: 3 });
  await honest(server.address, 'device-1');
  const idle = await Promise.all([rawTcp(server.address), rawTcp(server.address)]);
  const surplus = await rawTcp(server.address);
  await closed(surplus);
  assert.deepEqual(
    refusals.map((r) => r.reason),
    ['connections'],
  );
  assert.match(refusals[0].detail, /it has 3 open \(maxConnectionsPerAddress 3\)/);
  const peer = server.peers()[0];
  assert.deepEqual(await peer.request(Uint8Array.of(7), 5000), Uint8Array.of(7));
  for (const socket of idle) socket.destroy();
  await Promise.all(idle.map(closed));
  // The server sees the closes a moment later; then the freed slots take devices again.
  await waitFor(
    () =>
      honest(server.address, 'device-2').then(
        () => true,
        () => false,
      ),
    'a freed slot to take a device',
  );
  assert.equal(server.peers().length, 2);
});

test('an idle TCP connection that never sends a request is closed after the handshake timeout', async () => {
  const { server } = await listen({ connectTimeoutMs: 500 });
  const idle = await rawTcp(server.address);
  const started = Date.now();
  await closed(idle);
  assert.ok(Date.now() - started < 5000, 'the idle connection was closed by the server');
});

test('a device sending events that answer nothing is disconnected as a flood, counted; another keeps working', async () => {
  const { server, refusals } = await listen({ maxUnsolicitedEvents: 10 });
  await honest(server.address, 'device-1');
  const flooder = await rawDevice(server.address, 'flooder');
  const gone = new Promise<void>((resolve) => flooder.once('disconnect', () => resolve()));
  for (let i = 0; i < 50; i++) flooder.emit('part', 1000 + i, Buffer.alloc(16));
  await gone;
  assert.ok(
    refusals.some((r) => r.reason === 'flood' && /flooder sent more than 10 events answering nothing/.test(r.detail)),
    JSON.stringify(refusals),
  );
  const peers = server.peers();
  assert.deepEqual(
    peers.map((p) => p.info.nodeId),
    ['device-1'],
  );
  assert.deepEqual(await peers[0].request(Uint8Array.of(3), 5000), Uint8Array.of(3));
});

test('a reply larger than the limit the work sets is refused before it is buffered', async () => {
  const { server, refusals } = await listen({ chunkBytes: 64 * 1024 });
  const bloated = await new SocketIoTransportClient({ token: TOKEN, chunkBytes: 64 * 1024 }).connect(
    server.address,
    { nodeId: 'bloated', role: 'device' },
    async (frame) => (frame[0] === 1 ? new Uint8Array(1 << 20) : frame),
  );
  cleanups.push(() => bloated.close());
  server.limitReplyBytes(256 * 1024);
  const peer = server.peers()[0];
  await assert.rejects(
    peer.request(Uint8Array.of(1), 5000),
    (e: Error) => e instanceof WireFormatError && /more than maxFrameBytes 262144/.test(e.message),
  );
  assert.ok(refusals.some((r) => r.reason === 'oversized'));
  assert.deepEqual(await peer.request(Uint8Array.of(2, 2), 5000), Uint8Array.of(2, 2), 'the device keeps its session');
  assert.throws(() => server.limitReplyBytes(0), /reply limit must be a positive integer/);
});

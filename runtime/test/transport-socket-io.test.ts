import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { connect as tcpConnect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { io } from 'socket.io-client';
import {
  ConfigError,
  ConnectError,
  PeerDisconnectedError,
  PeerRequestError,
  splitFrame,
  WireFormatError,
  type ClientConnection,
  type PeerConnection,
  type PeerInfo,
  type RequestHandler,
} from '@strata/shared';
import {
  AuthenticationError,
  LinkLimitError,
  SocketIoTransportClient,
  SocketIoTransportServer,
  type SocketIoServerOptions,
} from '../src/index.js';
import { describeTransportContract, seededBytes, waitFor } from '../src/testing/index.js';

const TOKEN = 'tier-secret';
const device = (nodeId: string): PeerInfo => ({ nodeId, role: 'device' });
const echo: RequestHandler = async (frame) => frame;

describeTransportContract('socket.io', async () => ({
  client: new SocketIoTransportClient({ token: TOKEN }),
  listen: () => SocketIoTransportServer.listen({ token: TOKEN }),
  unreachableAddress: await closedPortAddress(),
}));

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

async function listen(options: Partial<SocketIoServerOptions> = {}): Promise<SocketIoTransportServer> {
  const server = await SocketIoTransportServer.listen({ token: TOKEN, ...options });
  cleanups.push(() => server.close());
  return server;
}

async function connect(
  address: string,
  nodeId: string,
  handler: RequestHandler,
  client = new SocketIoTransportClient({ token: TOKEN }),
): Promise<ClientConnection> {
  const connection = await client.connect(address, device(nodeId), handler);
  cleanups.push(() => connection.close());
  return connection;
}

function peerOf(server: SocketIoTransportServer, nodeId: string): PeerConnection {
  const found = server.peers().find((p) => p.info.nodeId === nodeId);
  assert.ok(found, `${nodeId} is not connected`);
  return found;
}

/** An address on loopback where nothing listens: a port that was just free. */
async function closedPortAddress(): Promise<string> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return `http://127.0.0.1:${port}`;
}

/** A TCP relay in front of a server whose connections the test can cut, as a network failure would. */
async function relay(target: string): Promise<{ address: string; cut: () => void; close: () => Promise<void> }> {
  const { hostname, port } = new URL(target);
  const sockets = new Set<Socket>();
  const server: Server = createServer((inbound) => {
    const outbound = tcpConnect(Number(port), hostname);
    for (const s of [inbound, outbound]) {
      sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => sockets.delete(s));
    }
    inbound.pipe(outbound).pipe(inbound);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const cut = (): void => {
    for (const s of sockets) s.destroy();
  };
  return {
    address: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    cut,
    close: async () => {
      cut();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

test('a server without token or verifier, or with chunks above its message limit, is refused at startup', async () => {
  await assert.rejects(
    SocketIoTransportServer.listen({}),
    (error: unknown) => error instanceof ConfigError && /token.*verify/.test(error.message),
  );
  await assert.rejects(
    SocketIoTransportServer.listen({ token: TOKEN, chunkBytes: 4 << 20, maxHttpBufferSize: 1 << 20 }),
    (error: unknown) => error instanceof ConfigError && /chunkBytes 4194304 exceeds maxHttpBufferSize 1048576/.test(error.message),
  );
  assert.throws(() => new SocketIoTransportClient({ maxPendingRequests: 0 }), /maxPendingRequests must be a positive integer, got 0/);
});

test('wrong, missing or unverified credentials are refused in the handshake with an error naming the cause', async () => {
  const server = await listen({
    token: TOKEN,
    verify: ({ info, token }) => token === TOKEN && !info.nodeId.startsWith('banned'),
  });
  const seen: string[] = [];
  server.onPeerChange((p, event) => seen.push(`${event}:${p.info.nodeId}`));
  const handled: string[] = [];
  const handler: RequestHandler = async (frame) => {
    handled.push('request');
    return frame;
  };
  await assert.rejects(
    new SocketIoTransportClient({ token: 'guess' }).connect(server.address, device('d1'), handler),
    (error: unknown) => error instanceof AuthenticationError && /refused: invalid token for d1/.test(error.message),
  );
  await assert.rejects(
    new SocketIoTransportClient().connect(server.address, device('d2'), handler),
    (error: unknown) => error instanceof AuthenticationError && /refused: missing token for d2/.test(error.message),
  );
  await assert.rejects(
    new SocketIoTransportClient({ token: TOKEN }).connect(server.address, device('banned-3'), handler),
    (error: unknown) => error instanceof AuthenticationError && /banned-3 rejected by the server's verifier/.test(error.message),
  );
  const raw = io(server.address, { transports: ['websocket'], forceNew: true, reconnection: false, auth: { token: TOKEN, nodeId: 7 } });
  const refusal = await new Promise<Error>((resolve) => raw.once('connect_error', resolve));
  raw.disconnect();
  assert.match(refusal.message, /malformed handshake: nodeId must be a string/);
  assert.deepEqual([seen, server.peers(), handled], [[], [], []]);
  await connect(server.address, 'd4', handler);
  assert.deepEqual(seen, ['connect:d4']);
});

test('a session whose credentials the verifier stops accepting is ended and cannot resume', async () => {
  const revoked = new Set<string>();
  const refusals: string[] = [];
  const server = await listen({
    verify: ({ info }) => (revoked.has(info.nodeId) ? `${info.nodeId} is revoked` : true),
    recheckMs: 20,
    onRefusal: (reason, detail) => refusals.push(`${reason}: ${detail}`),
  });
  await connect(server.address, 'd1', echo);
  await connect(server.address, 'd2', echo);
  assert.deepEqual(
    server.peers().map((p) => p.info.nodeId),
    ['d1', 'd2'],
  );
  revoked.add('d1');
  await waitFor(() => server.peers().length === 1, 'the revoked session to end');
  assert.deepEqual(
    server.peers().map((p) => p.info.nodeId),
    ['d2'],
  );
  assert.deepEqual(
    refusals.filter((r) => r.includes('session ended')),
    ['auth: d1: session ended, credentials no longer accepted: d1 is revoked'],
  );
  await assert.rejects(
    new SocketIoTransportClient({ token: TOKEN }).connect(server.address, device('d1'), echo),
    (error: unknown) => error instanceof AuthenticationError && /d1 is revoked/.test(error.message),
  );
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.deepEqual(
    server.peers().map((p) => p.info.nodeId),
    ['d2'],
    'the revoked device did not come back by resuming',
  );
});

test('a 50 MiB frame round-trips in chunks, byte for byte, counted once each way', async () => {
  const server = await listen();
  const size = 50 * 1024 * 1024;
  let receivedDigest = '';
  await connect(server.address, 'big', async (frame) => {
    receivedDigest = createHash('sha256').update(frame).digest('hex');
    return frame;
  });
  const frame = seededBytes(50, size);
  const reply = await peerOf(server, 'big').request(frame, 60_000);
  assert.equal(receivedDigest, createHash('sha256').update(frame).digest('hex'));
  assert.equal(reply.byteLength, size);
  assert.equal(Buffer.compare(reply, frame), 0);
  assert.deepEqual(server.stats(), { bytesDown: size, bytesUp: size });
});

test('a device whose link drops reconnects as the same peer, and the request in flight fails', async () => {
  const server = await listen();
  const link = await relay(server.address);
  cleanups.push(link.close);
  const events: string[] = [];
  server.onPeerChange((p, event) => events.push(`${event}:${p.info.nodeId}`));
  let started!: () => void;
  const inHandler = new Promise<void>((resolve) => (started = resolve));
  let calls = 0;
  const client = new SocketIoTransportClient({ token: TOKEN, reconnectionDelayMs: 20, reconnectionDelayMaxMs: 100 });
  const connection = await connect(
    link.address,
    'roaming',
    async (frame) => {
      if (++calls > 1) return frame.map((b) => b + 1);
      started();
      return new Promise<Uint8Array>(() => {});
    },
    client,
  );
  const before = peerOf(server, 'roaming');
  const failed = assert.rejects(before.request(new Uint8Array([1]), 5000), PeerDisconnectedError);
  await inHandler;
  link.cut();
  await failed;
  await waitFor(() => server.peers().length === 1 && connection.connected, 'the device to reconnect');
  assert.equal(peerOf(server, 'roaming'), before, 'the reconnected device is the same PeerConnection');
  assert.equal(before.connected, true);
  assert.deepEqual(await before.request(new Uint8Array([1]), 5000), new Uint8Array([2]));
  assert.deepEqual(events, ['connect:roaming', 'disconnect:roaming', 'connect:roaming']);
});

test('a reconnection seen before the old socket died replaces it: same session, same peer; another session waits its turn', async () => {
  const server = await listen();
  const sameSession = (): SocketIoTransportClient => new SocketIoTransportClient({ token: TOKEN, sessionId: 'session-1' });
  const stale = await connect(server.address, 'phone', () => new Promise<Uint8Array>(() => {}), sameSession());
  const before = peerOf(server, 'phone');
  const failed = assert.rejects(before.request(new Uint8Array([1]), 5000), PeerDisconnectedError);
  const resumed = await connect(server.address, 'phone', echo, sameSession());
  await failed;
  assert.equal(peerOf(server, 'phone'), before);
  assert.deepEqual(await before.request(new Uint8Array([5]), 5000), new Uint8Array([5]));
  await waitFor(() => !stale.connected, 'the stale socket to be closed');

  const otherSession = (): SocketIoTransportClient => new SocketIoTransportClient({ token: TOKEN, sessionId: 'session-2' });
  await assert.rejects(
    connect(server.address, 'phone', echo, otherSession()),
    (e: Error) => e instanceof ConnectError && /phone is already connected in another session/.test(e.message),
    'a second session for a connected id is refused, not the first one kicked',
  );
  assert.deepEqual(await before.request(new Uint8Array([6]), 5000), new Uint8Array([6]));

  await resumed.close();
  await waitFor(() => !before.connected, 'the first session to be seen gone');
  await connect(server.address, 'phone', echo, otherSession());
  assert.notEqual(peerOf(server, 'phone'), before, 'once the first is gone, a new session (a restarted device) is a new peer');
  assert.equal(before.connected, false);
  await assert.rejects(before.request(new Uint8Array([1]), 5000), PeerDisconnectedError);
});

test('an oversized reply is refused while the sender and the other peers keep working', async () => {
  const server = await listen({ maxFrameBytes: 2 * 1024 * 1024 });
  await connect(server.address, 'bloated', async (frame) => (frame[0] === 1 ? new Uint8Array(3 * 1024 * 1024) : frame));
  await connect(server.address, 'honest', echo);
  const [oversized, fine] = await Promise.allSettled([
    peerOf(server, 'bloated').request(new Uint8Array([1]), 10_000),
    peerOf(server, 'honest').request(new Uint8Array([2]), 10_000),
  ]);
  assert.equal(oversized.status, 'rejected');
  assert.ok(oversized.reason instanceof WireFormatError, String(oversized.reason));
  assert.match(oversized.reason.message, /bloated refused: it declares 3145728 bytes, more than maxFrameBytes 2097152/);
  assert.deepEqual(fine, { status: 'fulfilled', value: new Uint8Array([2]) });
  assert.deepEqual(await peerOf(server, 'bloated').request(new Uint8Array([0, 1]), 5000), new Uint8Array([0, 1]));
  await assert.rejects(peerOf(server, 'honest').request(new Uint8Array(3 * 1024 * 1024), 5000), /larger than maxFrameBytes 2097152/);
});

test('a peer sending one message above maxHttpBufferSize is disconnected while another keeps working', async () => {
  const server = await listen({ maxHttpBufferSize: 1024 * 1024, chunkBytes: 256 * 1024 });
  await connect(server.address, 'honest', echo);
  const hostile = io(server.address, {
    transports: ['websocket'],
    forceNew: true,
    reconnection: false,
    auth: { token: TOKEN, nodeId: 'hostile', role: 'device', sessionId: 'h' },
  });
  cleanups.push(async () => {
    hostile.disconnect();
  });
  await new Promise<void>((resolve) => hostile.once('connect', () => resolve()));
  assert.deepEqual(
    server.peers().map((p) => p.info.nodeId),
    ['honest', 'hostile'],
  );
  hostile.emit('part', 1, Buffer.alloc(2 * 1024 * 1024));
  await waitFor(() => server.peers().length === 1, 'the hostile peer to be disconnected');
  assert.equal(peerOf(server, 'honest').info.nodeId, 'honest');
  assert.deepEqual(await peerOf(server, 'honest').request(new Uint8Array([4]), 5000), new Uint8Array([4]));
});

test('one peer cannot hold more than maxInFlightBytes of chunks nor more than maxPendingRequests requests', async () => {
  const server = await listen({ maxFrameBytes: 8 << 20, maxInFlightBytes: 6 << 20, maxPendingRequests: 3 });
  // A peer that starts every reply with a chunk declaring 5 MiB and never finishes it.
  const greedy = io(server.address, {
    transports: ['websocket'],
    forceNew: true,
    reconnection: false,
    auth: { token: TOKEN, nodeId: 'greedy', role: 'device', sessionId: 'g' },
  });
  cleanups.push(async () => {
    greedy.disconnect();
  });
  greedy.on('req', (requestId: number) => {
    const [first] = splitFrame(new Uint8Array(5 << 20), { maxFrameBytes: 1 << 20, transferId: requestId });
    greedy.emit('part', requestId, first);
  });
  await new Promise<void>((resolve) => greedy.once('connect', () => resolve()));
  const target = peerOf(server, 'greedy');
  const outcomes = Promise.allSettled([1, 2, 3].map((i) => target.request(new Uint8Array([i]), 1500)));
  await assert.rejects(target.request(new Uint8Array([4]), 1500), LinkLimitError);
  const [first, second, third] = (await outcomes).map((o) => (o.status === 'rejected' ? o.reason : o.value));
  assert.match(String(first), /timed out after 1500 ms/);
  for (const error of [second, third]) {
    assert.ok(error instanceof WireFormatError, String(error));
    assert.match(error.message, /would put 10485760 bytes in flight, more than maxInFlightBytes 6291456/);
  }
});

test('connecting to an unreachable server names the network error', async () => {
  const address = await closedPortAddress();
  await assert.rejects(new SocketIoTransportClient({ token: TOKEN }).connect(address, device('x'), echo), (error: unknown) => {
    assert.ok(error instanceof ConnectError);
    assert.match(error.message, new RegExp(`cannot connect to ${address}: .*ECONNREFUSED`));
    return true;
  });
  assert.ok(PeerRequestError);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InProcessNetwork, PeerDisconnectedError, RoundTimeoutError } from '../src/index.js';

test('a request reaches the peer and its reply comes back, bytes counted both ways', async () => {
  const net = new InProcessNetwork();
  const server = net.listen('edge-a');
  await net.connect('edge-a', { nodeId: 'device-1', role: 'device' }, async (frame) => frame.map((b) => b + 1));
  const [peer] = server.peers();
  const reply = await peer.request(new Uint8Array([1, 2, 3]), 1000);
  assert.deepEqual([...reply], [2, 3, 4]);
  assert.deepEqual(server.stats(), { bytesDown: 3, bytesUp: 3 });
});

test('peers are listed in natural id order and disconnects are reported', async () => {
  const net = new InProcessNetwork();
  const server = net.listen('edge-b');
  const events: string[] = [];
  server.onPeerChange((peer, event) => events.push(`${event}:${peer.info.nodeId}`));
  const echo = async (f: Uint8Array): Promise<Uint8Array> => f;
  const c10 = await net.connect('edge-b', { nodeId: 'device-10', role: 'device' }, echo);
  await net.connect('edge-b', { nodeId: 'device-2', role: 'device' }, echo);
  assert.deepEqual(server.peers().map((p) => p.info.nodeId), ['device-2', 'device-10']);
  await c10.close();
  assert.deepEqual(server.peers().map((p) => p.info.nodeId), ['device-2']);
  assert.deepEqual(events, ['connect:device-10', 'connect:device-2', 'disconnect:device-10']);
});

test('a slow peer times out and a peer that disconnects mid-request fails the request', async () => {
  const net = new InProcessNetwork();
  const server = net.listen('edge-c');
  const never = (): Promise<Uint8Array> => new Promise(() => {});
  const conn = await net.connect('edge-c', { nodeId: 'slow', role: 'device' }, never);
  await assert.rejects(server.peers()[0].request(new Uint8Array(1), 30), RoundTimeoutError);
  const pending = server.peers()[0].request(new Uint8Array(1), 5000);
  await conn.close();
  await assert.rejects(pending, PeerDisconnectedError);
});

test('connecting to an address nobody listens on fails with a clear error', async () => {
  const net = new InProcessNetwork();
  await assert.rejects(net.connect('nowhere', { nodeId: 'd', role: 'device' }, async (f) => f), /no server listening at nowhere/);
});

// The behaviour every transport implementation must have (the in-process network and socket.io run the same
// tests). Effects that cross a real link arrive asynchronously, so the tests wait for them rather than
// expecting them on the next line.

import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  ConfigError,
  RoundTimeoutError,
  StrataError,
  ConnectError,
  PeerDisconnectedError,
  PeerRequestError,
  type ClientConnection,
  type PeerConnection,
  type PeerInfo,
  type RequestHandler,
  type TransportClient,
  type TransportServer,
} from '@strata/shared';
import { seededBytes } from './seeded-bytes.js';
import { waitFor } from './wait-for.js';

export interface TransportFixture {
  /** A new server at an address of its own. */
  listen(): Promise<TransportServer>;
  /** The client that reaches the fixture's servers. */
  readonly client: TransportClient;
  /** An address where nobody listens. */
  readonly unreachableAddress: string;
}

const device = (nodeId: string): PeerInfo => ({ nodeId, role: 'device', region: 'test' });
const echo: RequestHandler = async (frame) => frame;
/** A reply that differs from its request in every byte, so an echoed or misrouted frame is caught. */
const invert: RequestHandler = async (frame) => frame.map((b) => 255 - b);

export function describeTransportContract(name: string, createFixture: () => Promise<TransportFixture>): void {
  describe(`Transport contract: ${name}`, () => {
    const servers: TransportServer[] = [];
    const connections: ClientConnection[] = [];
    let fixture: TransportFixture | undefined;
    const setup = async (): Promise<{
      server: TransportServer;
      connect: (id: string, handler: RequestHandler) => Promise<ClientConnection>;
    }> => {
      fixture ??= await createFixture();
      const { client } = fixture;
      const server = await fixture.listen();
      servers.push(server);
      const connect = async (id: string, handler: RequestHandler): Promise<ClientConnection> => {
        const connection = await client.connect(server.address, device(id), handler);
        connections.push(connection);
        return connection;
      };
      return { server, connect };
    };
    const peer = (server: TransportServer, nodeId: string): PeerConnection => {
      const found = server.peers().find((p) => p.info.nodeId === nodeId);
      assert.ok(
        found,
        `${nodeId} is not among the peers ${server
          .peers()
          .map((p) => p.info.nodeId)
          .join(', ')}`,
      );
      return found;
    };
    after(async () => {
      for (const connection of connections) await connection.close();
      for (const server of servers) await server.close();
    });

    test('a request reaches the peer and its reply comes back, bytes counted both ways', async () => {
      const { server, connect } = await setup();
      await connect('device-1', async (frame) => new Uint8Array([...frame, 9]));
      const reply = await peer(server, 'device-1').request(new Uint8Array([1, 2, 3]), 5000);
      assert.deepEqual(reply, new Uint8Array([1, 2, 3, 9]));
      assert.deepEqual(server.stats(), { bytesDown: 3, bytesUp: 4 });
      assert.deepEqual(peer(server, 'device-1').info, device('device-1'));
    });

    test('peers are listed in natural id order and connects and disconnects are reported', async () => {
      const { server, connect } = await setup();
      const events: string[] = [];
      server.onPeerChange((p, event) => events.push(`${event}:${p.info.nodeId}`));
      const c10 = await connect('device-10', echo);
      await connect('device-2', echo);
      assert.deepEqual(
        server.peers().map((p) => p.info.nodeId),
        ['device-2', 'device-10'],
      );
      const leaving = peer(server, 'device-10');
      await c10.close();
      await waitFor(() => server.peers().length === 1, 'the server to see device-10 leave');
      assert.deepEqual(
        server.peers().map((p) => p.info.nodeId),
        ['device-2'],
      );
      assert.deepEqual(events, ['connect:device-10', 'connect:device-2', 'disconnect:device-10']);
      assert.equal(leaving.connected, false);
      assert.equal(c10.connected, false);
      await assert.rejects(leaving.request(new Uint8Array([1]), 5000), PeerDisconnectedError);
    });

    test('frames of every size come back byte for byte, several at once', async () => {
      const { server, connect } = await setup();
      await connect('device-1', invert);
      const sizes = [0, 1, 1000, 3 * 1024 * 1024 + 5, 64 * 1024];
      const frames = sizes.map((size, i) => seededBytes(100 + i, size));
      const replies = await Promise.all(frames.map((frame) => peer(server, 'device-1').request(frame, 20_000)));
      replies.forEach((reply, i) => {
        assert.ok(reply instanceof Uint8Array);
        assert.equal(reply.byteLength, sizes[i]);
        assert.equal(
          Buffer.compare(
            reply,
            frames[i].map((b) => 255 - b),
          ),
          0,
          `reply ${i} of ${sizes[i]} bytes differs`,
        );
      });
      const total = sizes.reduce((a, b) => a + b, 0);
      assert.deepEqual(server.stats(), { bytesDown: total, bytesUp: total });
    });

    test('a slow peer times out with RoundTimeoutError and then answers the next request', async () => {
      const { server, connect } = await setup();
      let calls = 0;
      await connect('slow', async (frame) => (++calls === 1 ? new Promise<Uint8Array>(() => {}) : frame));
      await assert.rejects(peer(server, 'slow').request(new Uint8Array([1]), 50), RoundTimeoutError);
      assert.deepEqual(await peer(server, 'slow').request(new Uint8Array([2]), 5000), new Uint8Array([2]));
      await assert.rejects(peer(server, 'slow').request(new Uint8Array([3]), 0), ConfigError);
    });

    test('a peer that disconnects mid-request fails the request with PeerDisconnectedError', async () => {
      const { server, connect } = await setup();
      let started!: () => void;
      const inHandler = new Promise<void>((resolve) => (started = resolve));
      const connection = await connect('leaving', () => {
        started();
        return new Promise<Uint8Array>(() => {});
      });
      const failed = assert.rejects(peer(server, 'leaving').request(new Uint8Array(10), 2000), PeerDisconnectedError);
      await inHandler;
      await connection.close();
      await failed;
    });

    test("a handler's error becomes a PeerRequestError with its message and code, and the peer keeps answering", async () => {
      const { server, connect } = await setup();
      await connect('picky', (frame) => {
        if (frame[0] === 1) throw new Error('synchronous trouble');
        if (frame[0] === 2) return Promise.reject(new StrataError('STRATA_ERR_TEST', 'model version 7 is stale'));
        return echo(frame);
      });
      const target = peer(server, 'picky');
      await assert.rejects(target.request(new Uint8Array([1]), 5000), (error: unknown) => {
        assert.ok(error instanceof PeerRequestError);
        assert.match(error.message, /picky failed the request: synchronous trouble/);
        return true;
      });
      await assert.rejects(target.request(new Uint8Array([2]), 5000), (error: unknown) => {
        assert.ok(error instanceof PeerRequestError);
        assert.equal(error.remoteCode, 'STRATA_ERR_TEST');
        assert.match(error.message, /model version 7 is stale/);
        return true;
      });
      assert.deepEqual(await target.request(new Uint8Array([3]), 5000), new Uint8Array([3]));
    });

    test('a second connection under a connected node id is refused; the first keeps working, and the id connects again once it left', async () => {
      const { server, connect } = await setup();
      const events: string[] = [];
      server.onPeerChange((p, event) => events.push(`${event}:${p.info.nodeId}`));
      const first = await connect('device-7', invert);
      await assert.rejects(
        connect('device-7', async () => new Uint8Array([9])),
        (e: Error) => e instanceof ConnectError && /device-7 is already connected in another session/.test(e.message),
      );
      assert.deepEqual(await peer(server, 'device-7').request(new Uint8Array([0]), 5000), new Uint8Array([255]));
      await first.close();
      await waitFor(() => server.peers().length === 0, 'the first connection to be seen gone');
      await connect('device-7', async () => new Uint8Array([9]));
      assert.deepEqual(await peer(server, 'device-7').request(new Uint8Array([0]), 5000), new Uint8Array([9]));
      assert.deepEqual(events, ['connect:device-7', 'disconnect:device-7', 'connect:device-7']);
    });

    test('closing the server disconnects its peers and fails their requests', async () => {
      const { server, connect } = await setup();
      const connection = await connect('device-1', () => new Promise<Uint8Array>(() => {}));
      const failed = assert.rejects(peer(server, 'device-1').request(new Uint8Array([1]), 2000), PeerDisconnectedError);
      await server.close();
      await failed;
      assert.deepEqual(server.peers(), []);
      await waitFor(() => !connection.connected, 'the client to see the server close');
    });

    test('connecting where nobody listens fails with ConnectError naming the address', async () => {
      fixture ??= await createFixture();
      const { client, unreachableAddress } = fixture;
      await assert.rejects(client.connect(unreachableAddress, device('lost'), echo), (error: unknown) => {
        assert.ok(error instanceof ConnectError);
        assert.ok(error.message.includes(unreachableAddress), error.message);
        return true;
      });
    });
  });
}

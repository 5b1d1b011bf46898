// The device tier: it answers a training request with its trainer's update, compressed as configured and
// stamped with the request's round, base version and its own id; an evaluation request with exact metric sums;
// a request it cannot serve with an error reply (never a crash). Its link tries its region's edges in their
// listed order and, when the edge it uses is lost, fails over to the next one under the same session.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeUpdateReply, dense, encodeRoundRequest, PeerRequestError, type DeviceTrainer, type ModelParams } from '@strata/shared';
import { InProcessNetwork, SocketIoTransportServer, createLogger } from '@strata/runtime';
import { waitFor } from '@strata/runtime/testing';
import { DeviceClient, EdgeFailoverLink } from '../src/index.js';

const logger = createLogger('test', 'silent');
const model: ModelParams = new Map([['w', dense([4], Float32Array.of(1, 2, 3, 4))]]);

const trainer: DeviceTrainer = {
  numSamples: 7,
  async train(received, options) {
    const w = received.get('w')!.values;
    const scale = options.options.learningRate ?? 1;
    return {
      delta: new Map([
        [
          'w',
          dense(
            [4],
            w.map((v) => (v * scale) / 3),
          ),
        ],
      ]),
      weight: 7,
      metrics: { loss: 1.5 * options.localSteps },
    };
  },
  async evaluate() {
    return { count: 1, sums: { 'recall@20': 1 / 3 } };
  },
};

const request = (kind: 'train' | 'evaluate') =>
  encodeRoundRequest({
    roundId: 'r4-v9',
    round: 4,
    kind,
    localSteps: 2,
    options: { learningRate: 0.5 },
    model,
    version: 9,
  });

test("a training request is answered with the trainer's update, compressed, stamped with the round, version and sender", async () => {
  const device = new DeviceClient({
    nodeId: 'device-3',
    region: 'west',
    trainer,
    compression: { dtype: 'float16', errorFeedback: true, perRowScale: true, entropy: 'none' },
    logger,
  });
  const reply = decodeUpdateReply(await device.handle(request('train')));
  assert.equal(reply.sender, 'device-3');
  assert.equal(reply.roundId, 'r4-v9');
  assert.equal(reply.baseVersion, 9);
  assert.equal(reply.update.weight, 7);
  assert.deepEqual(reply.update.metrics, { loss: 3 });
  const w = reply.update.delta.get('w');
  assert.equal(w?.kind, 'dense');
  [1, 2, 3, 4].forEach((v, i) => assert.ok(Math.abs(w.values[i] - v / 6) < 1e-3, 'float16 within its precision'));
});

test('an evaluation request is answered with exact sums; a device that cannot evaluate answers with an error', async () => {
  const device = new DeviceClient({
    nodeId: 'device-3',
    region: 'west',
    trainer,
    compression: { dtype: 'int8', errorFeedback: true, perRowScale: true, entropy: 'none' },
    logger,
  });
  const reply = decodeUpdateReply(await device.handle(request('evaluate')));
  assert.deepEqual([reply.update.weight, reply.update.metrics['recall@20']], [1, 1 / 3], 'float32, no quantisation of sums');

  const network = new InProcessNetwork();
  const server = network.listen('west');
  const mute = new DeviceClient({
    nodeId: 'device-4',
    region: 'west',
    trainer: { numSamples: 1, train: trainer.train },
    compression: { dtype: 'float32', errorFeedback: false, perRowScale: true, entropy: 'none' },
    logger,
  });
  await mute.connect(network, 'west');
  await assert.rejects(
    server.peers()[0].request(request('evaluate'), 5000),
    (error: unknown) =>
      error instanceof PeerRequestError && error.remoteCode === 'STRATA_ERR_UNSUPPORTED' && /cannot evaluate/.test(error.message),
  );
  await assert.rejects(
    server.peers()[0].request(Uint8Array.of(9, 9, 9), 5000),
    (error: unknown) => error instanceof PeerRequestError && error.remoteCode === 'STRATA_ERR_WIRE_FORMAT',
  );
  assert.equal(mute.connected, true, 'the device keeps serving after bad requests');
  await server.close();
});

test("a model whose shapes differ from the device's own task is refused at the first request, naming both", async () => {
  const device = new DeviceClient({
    nodeId: 'device-5',
    region: 'west',
    trainer,
    compression: { dtype: 'float32', errorFeedback: false, perRowScale: true, entropy: 'none' },
    logger,
    expectedShapes: new Map([['w', [5]]]),
  });
  await assert.rejects(
    device.handle(request('train')),
    (error: Error & { code?: string }) =>
      error.code === 'STRATA_ERR_SHAPE_MISMATCH' &&
      /w: edge \[4\], device \[5\]/.test(error.message) &&
      /same task, data and options/.test(error.message),
  );
  const fitting = new DeviceClient({
    nodeId: 'device-6',
    region: 'west',
    trainer,
    compression: { dtype: 'float32', errorFeedback: false, perRowScale: true, entropy: 'none' },
    logger,
    expectedShapes: new Map([['w', [4]]]),
  });
  assert.equal(decodeUpdateReply(await fitting.handle(request('train'))).update.weight, 7);
});

test('the link uses the first edge of its list that answers, and fails over to the next under the same session', async () => {
  const token = 'device-client-test-token';
  const first = await SocketIoTransportServer.listen({ token });
  const second = await SocketIoTransportServer.listen({ token });
  const unreachable = 'http://127.0.0.1:9';
  const device = new DeviceClient({
    nodeId: 'device-8',
    region: 'west',
    trainer,
    compression: { dtype: 'float32', errorFeedback: false, perRowScale: true, entropy: 'none' },
    logger,
  });
  const failovers: string[] = [];
  const link = new EdgeFailoverLink(device, {
    edges: [unreachable, first.address, second.address],
    sessionId: 'session-8',
    failoverMs: 200,
    logger,
    transport: { token, connectTimeoutMs: 2000, reconnectionDelayMs: 50, reconnectionDelayMaxMs: 100 },
    onFailover: (from, to) => failovers.push(`${from} -> ${to}`),
  });
  try {
    await link.connect();
    assert.equal(link.edge, first.address, 'the unreachable edge is skipped, the next in the list is used');
    assert.deepEqual(
      first.peers().map((p) => p.info.nodeId),
      ['device-8'],
    );
    await first.close();
    await waitFor(() => second.peers().length === 1, 'the device on the second edge', 10_000);
    assert.deepEqual(failovers, [`${first.address} -> ${second.address}`]);
    assert.equal(link.edge, second.address);
    const reply = decodeUpdateReply(await second.peers()[0].request(request('train'), 5000));
    assert.equal(reply.sender, 'device-8', 'the same device answers on the new edge');
  } finally {
    await link.stop();
    await first.close();
    await second.close();
  }
});

// The simulated data plane's timing: a request costs the frame's bytes over each link down, the compute the
// device's trainer charged (queued behind earlier work on the same device), and the reply's bytes up; bytes
// are counted per tier; leaving mid-computation and lost messages fail the request as a real link would.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DeviceClient } from '@strata/device-client';
import {
  PeerDisconnectedError,
  RoundTimeoutError,
  SeededRandom,
  decodeUpdateReply,
  dense,
  encodeRoundRequest,
  type DeviceTrainer,
  type PeerConnection,
} from '@strata/shared';
import { createLogger } from '@strata/runtime';
import { MeteredTrainer, chargeCompute } from '../src/compute-meter.js';
import { LinkPipe, type LinkProfile } from '../src/link-pipe.js';
import { ParticipationTimeline } from '../src/participation-timeline.js';
import { SimNetwork, type Route } from '../src/sim-network.js';
import { VirtualClock } from '../src/virtual-clock.js';

// 8 Mbit/s = 1000 bytes per ms each way, 10 ms one way.
const slow: LinkProfile = { latencyMs: 10, jitterMs: 0, upMbps: 8, downMbps: 8, loss: 0 };

function setup(profile: LinkProfile = slow, lossMode: 'retransmit' | 'drop' = 'retransmit') {
  const clock = new VirtualClock();
  const timeline = new ParticipationTimeline();
  const network = new SimNetwork({ clock, random: new SeededRandom(0), lossMode, timeline });
  const server = network.listen('edge');
  const pipe = new LinkPipe(profile, new SeededRandom(1));
  const route: Route = { tier: 'deviceEdge', up: [{ pipe, direction: 'up' }], down: [{ pipe, direction: 'down' }] };
  const peer = (): PeerConnection => server.peers()[0];
  return { clock, network, server, endpoint: network.endpoint(route), peer, timeline };
}

const info = { nodeId: 'device-1', role: 'device' as const, region: 'edge' };

test('a request takes the frame over the link, the charged compute, and the reply back', async () => {
  const { clock, network, endpoint, peer } = setup();
  await endpoint.connect('edge', info, async () => {
    chargeCompute(0.5);
    return new Uint8Array(2000);
  });
  const reply = await clock.run(peer().request(new Uint8Array(5000), 10_000));
  assert.equal(reply.byteLength, 2000);
  // 5 ms to send + 10 ms latency, 500 ms compute, 2 ms + 10 ms back.
  assert.equal(clock.now(), 527);
  assert.deepEqual(
    { down: network.bytes().deviceEdgeDown, up: network.bytes().deviceEdgeUp, cloud: network.bytes().edgeCloudUp },
    { down: 5000, up: 2000, cloud: 0 },
  );
});

test('a device computes one thing at a time: a second request waits for the first', async () => {
  const { clock, endpoint, peer, timeline } = setup();
  await endpoint.connect('edge', info, async () => {
    chargeCompute(0.5);
    return new Uint8Array(2000);
  });
  const done: number[] = [];
  const both = Promise.all(
    [0, 1].map(() =>
      peer()
        .request(new Uint8Array(5000), 10_000)
        .then(() => done.push(clock.now())),
    ),
  );
  await clock.run(both);
  // The second frame arrives at 20 ms (it queued behind the first on the link), starts computing at 515 ms.
  assert.deepEqual(done, [527, 1027]);
  const summary = timeline.summarize(1100, 11);
  assert.equal(Math.max(...summary.computing), 1, 'never two computations at once on one device');
  assert.equal(
    summary.answers.reduce((a, b) => a + b, 0),
    2,
  );
});

test("the real DeviceClient's training is charged by its trainer: samples × local steps × seconds per sample", async () => {
  const { clock, endpoint, peer } = setup({ ...slow, upMbps: 8000, downMbps: 8000, latencyMs: 0 });
  const trainer: DeviceTrainer = {
    numSamples: 10,
    train: async () => ({ delta: new Map([['w', dense([2], Float32Array.of(1, 1))]]), weight: 10, metrics: { loss: 5 } }),
  };
  const device = new DeviceClient({
    nodeId: 'device-1',
    region: 'edge',
    trainer: new MeteredTrainer(trainer, 0.01),
    compression: { dtype: 'float32', perRowScale: true, errorFeedback: true, entropy: 'none' },
    logger: createLogger('test', 'silent'),
  });
  await device.connect(endpoint, 'edge');
  const frame = encodeRoundRequest({
    roundId: 'r1',
    round: 1,
    kind: 'train',
    localSteps: 3,
    options: {},
    version: 0,
    model: new Map([['w', dense([2])]]),
  });
  const reply = await clock.run(peer().request(frame, 60_000));
  assert.equal(decodeUpdateReply(reply).update.weight, 10);
  // 10 samples × 3 steps × 10 ms; the frames take well under a millisecond on this link.
  assert.ok(clock.now() >= 300 && clock.now() < 301, `finished at ${clock.now()} ms`);
});

test('a device that leaves while computing never answers: the request fails when it leaves', async () => {
  const { clock, network, endpoint, peer } = setup();
  const connection = await endpoint.connect('edge', info, async () => {
    chargeCompute(10);
    return new Uint8Array(2000);
  });
  clock.setTimeout(() => void connection.close(), 1000);
  const failed = clock.run(peer().request(new Uint8Array(5000), 60_000));
  await assert.rejects(failed, PeerDisconnectedError);
  assert.equal(clock.now(), 1000);
  await clock.advanceTo(20_000);
  assert.equal(network.bytes().deviceEdgeUp, 0, 'no reply crossed the link');
});

test('in drop mode a lost request is never answered: the request times out', async () => {
  const { clock, endpoint, peer } = setup({ ...slow, loss: 0.5 }, 'drop');
  await endpoint.connect('edge', info, async (frame) => frame);
  await assert.rejects(clock.run(peer().request(new Uint8Array(50_000), 5000)), RoundTimeoutError);
  assert.equal(clock.now(), 5000);
});

// The edge tier on the embedded runtime (in-process transport, in-memory queue and blobs): quorum and
// deadlines close an iteration, bad answers are rejected with a counted reason while the round goes on, late
// and malformed jobs are refused, and a standby replica takes jobs only while it has devices.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CLOUD_QUEUE,
  FedAvg,
  InvalidJobError,
  UpdateEncoder,
  decodeRoundRequest,
  decodeUpdateReply,
  dense,
  encodeModelBlob,
  encodeEnvelope,
  modelBlobKey,
  regionQueue,
  type ChildOutcome,
  type ClientConnection,
  type EdgeRoundJob,
  type EdgeRoundResult,
  type ModelUpdate,
} from '@strata/shared';
import { InMemoryBlobStore, InMemoryJobQueue, InProcessNetwork, createLogger } from '@strata/runtime';
import { EdgeNode, type EdgeNodeOptions } from '../src/index.js';

const logger = createLogger('test', 'silent');
const REGION = 'west';

/** A device as the edge sees it: answers each request with what `answer` returns, when it returns. */
type Answer = (roundId: string, version: number) => Promise<ModelUpdate | Uint8Array>;

interface Harness {
  readonly edge: EdgeNode;
  readonly queue: InMemoryJobQueue;
  readonly blobs: InMemoryBlobStore;
  readonly rejected: string[];
  readonly connections: Map<string, ClientConnection>;
  runJob(job?: Partial<EdgeRoundJob>, name?: string, waitMs?: number): Promise<ChildOutcome>;
  close(): Promise<void>;
}

async function harness(devices: Record<string, Answer>, options: Partial<EdgeNodeOptions> = {}): Promise<Harness> {
  const network = new InProcessNetwork();
  const queue = new InMemoryJobQueue();
  const blobs = new InMemoryBlobStore();
  const rejected: string[] = [];
  const edge = new EdgeNode({
    region: REGION,
    nodeId: 'edge-west',
    server: network.listen(REGION),
    queue,
    blobs,
    strategy: new FedAvg(),
    compression: { dtype: 'float32', errorFeedback: false, perRowScale: true },
    logger,
    onReject: (reason, deviceId) => rejected.push(`${deviceId}:${reason}`),
    ...options,
  });
  const encoder = new UpdateEncoder({ dtype: 'float32', errorFeedback: false, perRowScale: true });
  const connections = new Map<string, ClientConnection>();
  for (const [nodeId, answer] of Object.entries(devices)) {
    connections.set(
      nodeId,
      await network.connect(REGION, { nodeId, role: 'device', region: REGION }, async (frame) => {
        const request = decodeRoundRequest(frame);
        const reply = await answer(request.roundId, request.version);
        return reply instanceof Uint8Array
          ? reply
          : encoder.encode(reply, { roundId: request.roundId, baseVersion: request.version, sender: nodeId });
      }),
    );
  }
  edge.start();
  await blobs.put(modelBlobKey(3), encodeModelBlob(new Map([['w', dense([2], Float32Array.of(1, 1))]]), 3));
  let flows = 0;
  return {
    edge,
    queue,
    blobs,
    rejected,
    connections,
    async runJob(overrides = {}, name = 'edge-round', waitMs = 30_000) {
      const job: EdgeRoundJob = {
        roundId: 'r1-v3',
        round: 1,
        version: 3,
        modelKey: modelBlobKey(3),
        options: {},
        seed: 0,
        schedule: { kappa1: 1, kappa2: 1, fraction: 1, quorum: 1, edgeDeadlineSeconds: 5 },
        ...overrides,
      };
      const id = `flow${++flows}`;
      await queue.addFlow({ queue: CLOUD_QUEUE, name: 'cloud-round', data: {}, id }, [
        { queue: regionQueue(REGION), name, data: job, attempts: 1, id: `${id}-0` },
      ]);
      const [outcome] = await queue.waitForFlow(id, Date.now() + waitMs);
      return outcome;
    },
    async close() {
      await edge.stop();
      await queue.close();
    },
  };
}

const update = (values: number[], weight = 1): ModelUpdate => ({
  delta: new Map([['w', dense([2], Float32Array.from(values))]]),
  weight,
  metrics: { loss: weight },
});
const now =
  (u: ModelUpdate): Answer =>
  async () =>
    u;
const after =
  (ms: number, u: ModelUpdate): Answer =>
  () =>
    new Promise((resolve) => setTimeout(() => resolve(u), ms));
const never: Answer = () => new Promise(() => {});

async function edgeDelta(h: Harness, result: EdgeRoundResult): Promise<number[]> {
  assert.ok(result.blobKey, 'the edge stored an update');
  const blob = await h.blobs.get(result.blobKey);
  assert.ok(blob);
  const { update: u } = decodeUpdateReply(blob);
  const w = u.delta.get('w');
  assert.equal(w?.kind, 'dense');
  return [...w.values];
}

test('an iteration closes at the quorum: the first answers are aggregated, the rest are counted as stragglers', async () => {
  const h = await harness({
    'device-1': now(update([1, 0])),
    'device-2': now(update([0, 1], 3)),
    'device-3': after(300, update([9, 9])),
    'device-4': never,
  });
  try {
    const outcome = await h.runJob({ schedule: { kappa1: 1, kappa2: 1, fraction: 1, quorum: 0.5, edgeDeadlineSeconds: 5 } });
    assert.equal(outcome.state, 'completed');
    const result = outcome.result as EdgeRoundResult;
    assert.deepEqual(result.participation, {
      selected: 4,
      answered: 2,
      dropped: 2,
      failed: 0,
      rejected: {},
      bytesDown: result.participation.bytesDown,
      bytesUp: result.participation.bytesUp,
    });
    assert.equal(result.weight, 4);
    assert.deepEqual(await edgeDelta(h, result), [0.25, 0.75], 'the weighted mean of the two answers that made the quorum');
  } finally {
    await h.close();
  }
});

test('the deadline closes an iteration that the quorum cannot: silent devices are stragglers, the round goes on', async () => {
  const h = await harness({ 'device-1': now(update([2, 2])), 'device-2': never });
  try {
    const outcome = await h.runJob({ schedule: { kappa1: 1, kappa2: 2, fraction: 1, quorum: 1, edgeDeadlineSeconds: 0.2 } });
    const result = outcome.result as EdgeRoundResult;
    assert.equal(result.participation.selected, 4, 'two iterations of two devices');
    assert.equal(result.participation.answered, 2);
    assert.equal(result.participation.dropped, 2);
    assert.deepEqual(await edgeDelta(h, result), [4, 4], 'two edge iterations, each moving the edge model by the one answer');
  } finally {
    await h.close();
  }
});

test("bad answers are rejected by reason and counted; the honest devices' round completes without them", async () => {
  const h = await harness({
    'device-1': now(update([1, 1])),
    'device-2': now(update([Number.NaN, 0])),
    'device-3': now({ delta: new Map([['w', dense([3], new Float32Array(3))]]), weight: 1, metrics: {} }),
    'device-4': now({ delta: new Map([['bias', dense([2], new Float32Array(2))]]), weight: 1, metrics: {} }),
    'device-5': async () => Uint8Array.of(1, 2, 3),
    'device-6': async () => encodeEnvelope({ model: { version: 1 } }),
    'device-7': () => Promise.reject(new Error('the device crashed')),
  });
  try {
    const result = (await h.runJob()).result as EdgeRoundResult;
    assert.deepEqual(result.participation.rejected, { non_finite: 1, shape: 1, unknown_tensor: 1, malformed: 2 });
    assert.equal(result.participation.answered, 1);
    assert.equal(result.participation.failed, 1, 'a device whose handler failed is a failed request, not a rejection');
    assert.deepEqual(h.rejected.sort(), [
      'device-2:non_finite',
      'device-3:shape',
      'device-4:unknown_tensor',
      'device-5:malformed',
      'device-6:malformed',
    ]);
    assert.deepEqual(await edgeDelta(h, result), [1, 1]);
  } finally {
    await h.close();
  }
});

test('an edge with no answer stores no update and reports weight 0', async () => {
  const h = await harness({ 'device-1': now(update([Number.POSITIVE_INFINITY, 0])) });
  try {
    const result = (await h.runJob()).result as EdgeRoundResult;
    assert.equal(result.weight, 0);
    assert.equal(result.blobKey, undefined);
  } finally {
    await h.close();
  }
});

test('a job taken after its round deadline is skipped without asking the devices', async () => {
  let asked = 0;
  const h = await harness({
    'device-1': async () => {
      asked++;
      return update([1, 1]);
    },
  });
  try {
    const result = (await h.runJob({ deadline: Date.now() - 1 })).result as EdgeRoundResult;
    assert.equal(result.expired, true);
    assert.equal(result.participation.selected, 0);
    assert.equal(asked, 0);
  } finally {
    await h.close();
  }
});

test('a job whose payload does not match its schema, or of an unknown kind, fails naming the field', async () => {
  const h = await harness({ 'device-1': now(update([1, 1])) });
  try {
    const bad = await h.runJob({ schedule: { kappa1: 0, kappa2: 1, fraction: 1, quorum: 1, edgeDeadlineSeconds: 5 } });
    assert.equal(bad.state, 'failed');
    assert.match(bad.error ?? '', /edge-round job .*: schedule\.kappa1: Too small/);
    const unknown = await h.runJob({}, 'edge-shutdown');
    assert.equal(unknown.state, 'failed');
    assert.match(unknown.error ?? '', /is a "edge-shutdown", not one of edge-round, edge-evaluate/);
    assert.ok(new InvalidJobError('x') instanceof Error);
  } finally {
    await h.close();
  }
});

test('a standby replica takes jobs only while at least minDevices devices are connected to it', async () => {
  const h = await harness({ 'device-1': now(update([1, 1])) }, { minDevices: 1 });
  try {
    assert.equal(h.edge.takingJobs, true);
    await h.connections.get('device-1')?.close();
    assert.equal(h.edge.takingJobs, false);
    const outcome = await h.runJob({}, 'edge-round', 300);
    assert.equal(outcome.state, 'pending', 'the job waits for a replica that has devices');
  } finally {
    await h.close();
  }
});

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
  DeviceModelCache,
  ModelDownlink,
  dense,
  encodeModelPatchBlob,
  modelChecksum,
  modelPatchBlobKey,
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

/** A device as the edge sees it: answers each request (its frame too) with what `answer` returns, when it returns. */
type Answer = (roundId: string, version: number, frame: Uint8Array) => Promise<ModelUpdate | Uint8Array>;

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
    compression: { dtype: 'float32', errorFeedback: false, perRowScale: true, entropy: 'none' },
    logger,
    onReject: (reason, deviceId) => rejected.push(`${deviceId}:${reason}`),
    ...options,
  });
  const encoder = new UpdateEncoder({ dtype: 'float32', errorFeedback: false, perRowScale: true, entropy: 'none' });
  const connections = new Map<string, ClientConnection>();
  for (const [nodeId, answer] of Object.entries(devices)) {
    connections.set(
      nodeId,
      await network.connect(REGION, { nodeId, role: 'device', region: REGION }, async (frame) => {
        const request = decodeRoundRequest(frame);
        const reply = await answer(request.roundId, request.version, frame);
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
  assert.ok(w, 'the update holds w');
  if (w.kind === 'dense') return [...w.values];
  // A sparse update (rows of width 1 here) read as the dense vector it adds to the model.
  const out = new Array<number>(w.shape[0]).fill(0);
  w.rows.forEach((row, i) => {
    out[row] = w.values[i];
  });
  return out;
}

function assertClose(actual: number[], expected: number[], message?: string): void {
  assert.equal(actual.length, expected.length, message);
  actual.forEach((v, i) => assert.ok(Math.abs(v - expected[i]) < 1e-5, `${message ?? 'value'} [${i}]: ${v} vs ${expected[i]}`));
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
      clipped: {},
      bytesDown: result.participation.bytesDown,
      bytesUp: result.participation.bytesUp,
      bytesControl: 0,
      bytesFetched: result.participation.bytesFetched,
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
    // 1.5 s, not less: the answering device must beat the deadline on a loaded 2-core machine (0.2 s was flaky).
    const outcome = await h.runJob({ schedule: { kappa1: 1, kappa2: 2, fraction: 1, quorum: 1, edgeDeadlineSeconds: 1.5 } });
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

const limits = {
  maxDeviceWeight: 10,
  maxRowWeight: { base: 1, perWeight: 1 },
  maxEvaluationCount: 1,
  metricRanges: { 'recall@20': [0, 1] as [number, number] },
};
const encoder = new UpdateEncoder({ dtype: 'float32', errorFeedback: false, perRowScale: true, entropy: 'none' });
/** An answer with the header a device chooses (round, version, sender), whatever the request said. */
const forged =
  (u: ModelUpdate, header: { roundId?: string; version?: number; sender: string }): Answer =>
  async (roundId, version) =>
    encoder.encode(u, { roundId: header.roundId ?? roundId, baseVersion: header.version ?? version, sender: header.sender });
const rows = (values: number[], weights: number[], weight = 1): ModelUpdate => ({
  delta: new Map([
    [
      'w',
      {
        kind: 'sparse',
        shape: [2],
        rows: Uint32Array.from([0, 1]),
        values: Float32Array.from(values),
        rowWeights: Float32Array.from(weights),
      },
    ],
  ]),
  weight,
  metrics: {},
});

test("every number a device sends is checked: weights above the task's cap are clipped, impossible ones refused", async () => {
  const h = await harness({
    'device-1': now(update([1, 1], 2)),
    'device-2': now(update([5, 5], 1e12)),
    'device-3': now(update([9, 9], -5)),
    'device-4': now(update([9, 9], 0)),
    'device-5': now(rows([9, 9], [-1, 1])),
  });
  try {
    const result = (await h.runJob({ limits })).result as EdgeRoundResult;
    assert.deepEqual(result.participation.rejected, { bad_weight: 3 });
    assert.deepEqual(result.participation.clipped, { weight: 1 });
    assert.equal(result.weight, 12, 'the inflated weight counts as the cap, 10');
    assertClose(await edgeDelta(h, result), [(2 * 1 + 10 * 5) / 12, (2 * 1 + 10 * 5) / 12]);
  } finally {
    await h.close();
  }
});

test("row weights above the task's bound are clipped to it", async () => {
  const h = await harness({ 'device-1': now(rows([2, 2], [1, 1], 1)), 'device-2': now(rows([8, 8], [1e9, 1], 1)) });
  try {
    const result = (await h.runJob({ limits })).result as EdgeRoundResult;
    assert.deepEqual(result.participation.clipped, { row_weight: 1 });
    // Row 0: device-2's weight is cut to base + perWeight × weight = 2; row 1 is the plain mean.
    assertClose(await edgeDelta(h, result), [(2 + 2 * 8) / 3, 5]);
  } finally {
    await h.close();
  }
});

test('an answer to another round or version, or that claims another sender, is refused; the rest count', async () => {
  const h = await harness({
    'device-1': now(update([1, 1])),
    'device-2': forged(update([9, 9]), { roundId: 'r0-v2', sender: 'device-2' }),
    'device-3': forged(update([9, 9]), { version: 4, sender: 'device-3' }),
    'device-4': forged(update([9, 9]), { sender: 'device-1' }),
  });
  try {
    const result = (await h.runJob()).result as EdgeRoundResult;
    assert.deepEqual(result.participation.rejected, { stale: 2, sender: 1 });
    assert.deepEqual(h.rejected.sort(), ['device-2:stale', 'device-3:stale', 'device-4:sender']);
    assert.deepEqual(await edgeDelta(h, result), [1, 1]);
  } finally {
    await h.close();
  }
});

test('norm clipping: a device scaling its update a hundredfold moves the model no more than the clip allows', async () => {
  const honest = [1, 1.2, 0.8, 1.1].map((v) => now(update([v, v])));
  const h = await harness({
    'device-1': honest[0],
    'device-2': honest[1],
    'device-3': honest[2],
    'device-4': honest[3],
    'device-5': now(update([100, 100])),
  });
  try {
    const result = (await h.runJob({ clipFactor: 2 })).result as EdgeRoundResult;
    assert.deepEqual(result.participation.clipped, { norm: 1 });
    // The median norm is √2 × 1.1; the attacker's delta is cut to twice that: 2.2 per coordinate.
    const [w] = await edgeDelta(h, result);
    assert.ok(Math.abs(w - (1 + 1.2 + 0.8 + 1.1 + 2.2) / 5) < 1e-6, `edge delta ${w}`);
  } finally {
    await h.close();
  }
});

test("evaluation answers: a count beyond the task's, a non-finite or out-of-range metric, or an unknown one is refused", async () => {
  const evaluation = (count: number, metrics: Record<string, number>): Answer => now({ delta: new Map(), weight: count, metrics });
  const h = await harness({
    'device-1': evaluation(1, { 'recall@20': 0.5 }),
    'device-2': evaluation(1e9, { 'recall@20': 1e9 }),
    'device-3': evaluation(1, { 'recall@20': Number.NaN }),
    'device-4': evaluation(1, { 'recall@20': 3 }),
    'device-5': evaluation(1, { 'recall@20': 0.5, accuracy: 1 }),
    'device-6': evaluation(-1, { 'recall@20': 0 }),
  });
  try {
    const outcome = await h.runJob({ limits }, 'edge-evaluate');
    const result = outcome.result as { count: number; sums: Record<string, number>; participation: EdgeRoundResult['participation'] };
    assert.deepEqual(result.participation.rejected, { bad_metrics: 5 });
    assert.deepEqual([result.count, result.sums['recall@20']], [1, 0.5]);
  } finally {
    await h.close();
  }
});

test("the edge reads a model blob once: a round's evaluation and the next round's training share the version", async () => {
  const h = await harness({ a: now(update([1, 0])) });
  try {
    const blobBytes = (await h.blobs.get(modelBlobKey(3)))?.byteLength ?? 0;
    const evaluation = (await h.runJob({ roundId: 'e1-v3' }, 'edge-evaluate')).result as EdgeRoundResult;
    const training = (await h.runJob({ roundId: 'r2-v3', round: 2 })).result as EdgeRoundResult;
    assert.ok(blobBytes > 0);
    assert.equal(evaluation.participation.bytesFetched, blobBytes, 'the first job reads the blob');
    assert.equal(training.participation.bytesFetched, 0, 'the second job of the same version reads nothing');
  } finally {
    await h.close();
  }
});

test("a job's downlink replaces the edge's own: float32 brings a device the model exactly, the edge's int8 default does not", async () => {
  // One row [1, 0.3]: int8 with the row's scale 1/127 sends 0.3 as 38/127.
  const model = new Map([['w', dense([1, 2], Float32Array.of(1, 0.3))]]);
  const received = async (job: Partial<EdgeRoundJob>): Promise<number[]> => {
    const cache = new DeviceModelCache();
    let seen: number[] = [];
    const keep: Answer = async (_roundId, _version, frame) => {
      const resolved = cache.resolve(decodeRoundRequest(frame));
      if ('resync' in resolved) throw new Error(`the device needs the whole model: ${resolved.resync}`);
      seen = [...resolved.model.get('w')!.values];
      return { delta: new Map([['w', dense([1, 2])]]), weight: 1, metrics: { loss: 1 } };
    };
    const h = await harness({ a: keep });
    try {
      await h.blobs.put(modelBlobKey(3), encodeModelBlob(model, 3));
      assert.equal((await h.runJob(job)).error, undefined);
      return seen;
    } finally {
      await h.close();
    }
  };
  const lossless = await received({ downlink: { dtype: 'float32', rowFraction: 1, energy: 1, history: 4, entropy: 'none' } });
  assert.deepEqual(lossless, [1, Math.fround(0.3)]);
  const own = await received({});
  assert.notDeepEqual(own, [1, Math.fround(0.3)], "the edge's own int8 downlink");
  assert.ok(Math.abs(own[1] - 0.3) < 0.01, `int8 sends 0.3 as ${own[1]}`);
});

test("the edge reads the job's patch when it holds its base; a cache gone wrong or a patch gone reads the whole model", async () => {
  const lossless = { dtype: 'float32', rowFraction: 1, energy: 1, history: 4, entropy: 'none' } as const;
  const v5 = new Map([['w', dense([4, 2], Float32Array.of(1, 2, 3, 4, 5, 6, 7, 8))]]);
  const v6 = new Map([['w', dense([4, 2], Float32Array.of(1, 2, 3, 4, 5.5, -6, 7, 8))]]);
  // The coordinator's side (EdgeModelPublisher): a replica of what edges hold, and the patch from 5 to 6.
  const replica = new ModelDownlink(lossless);
  replica.advance(v5, 5, 'v5');
  replica.advance(v6, 6, 'v6');
  const patch = replica.patchTo(6)!.message;
  const modelPatch = { key: modelPatchBlobKey(6), baseChecksum: modelChecksum(v5), checksum: modelChecksum(v6) };
  const run = async (fault: (h: Harness) => Promise<void>): Promise<{ fetched: number[]; seen: number[][] }> => {
    const cache = new DeviceModelCache();
    const seen: number[][] = [];
    const keep: Answer = async (_roundId, _version, frame) => {
      const resolved = cache.resolve(decodeRoundRequest(frame));
      if ('resync' in resolved) throw new Error(`the device needs the whole model: ${resolved.resync}`);
      seen.push([...resolved.model.get('w')!.values]);
      return { delta: new Map([['w', dense([4, 2])]]), weight: 1, metrics: { loss: 1 } };
    };
    const h = await harness({ a: keep });
    try {
      await h.blobs.put(modelBlobKey(5), encodeModelBlob(v5, 5));
      await h.blobs.put(modelBlobKey(6), encodeModelBlob(v6, 6));
      await h.blobs.put(modelPatchBlobKey(6), encodeModelPatchBlob(patch));
      const first = await h.runJob({ roundId: 'r1-v5', version: 5, modelKey: modelBlobKey(5), downlink: lossless });
      await fault(h);
      const second = await h.runJob({ roundId: 'r2-v6', round: 2, version: 6, modelKey: modelBlobKey(6), modelPatch, downlink: lossless });
      const fetched = [first, second].map((o) => (o.result as EdgeRoundResult).participation.bytesFetched);
      return { fetched, seen };
    } finally {
      await h.close();
    }
  };
  const full5 = encodeModelBlob(v5, 5).byteLength;
  const full6 = encodeModelBlob(v6, 6).byteLength;
  const patchBytes = encodeModelPatchBlob(patch).byteLength;
  assert.ok(patchBytes < full6, `the patch (${patchBytes} bytes) is smaller than the model (${full6})`);
  const expected = [[...v5.get('w')!.values], [...v6.get('w')!.values]];

  const clean = await run(async () => {});
  assert.deepEqual(clean.fetched, [full5, patchBytes], 'the second job reads only the patch');
  assert.deepEqual(clean.seen, expected);

  // The model the edge holds changed behind its checksum: the patched model fails the patch's checksum.
  const wrong = await run(async (h) => {
    h.edge.latestModel!.model.get('w')!.values[0] += 1;
  });
  assert.deepEqual(wrong.fetched, [full5, patchBytes + full6], 'the patch, then the whole model');
  assert.deepEqual(wrong.seen, expected, 'the device trains on the version-6 model exactly');

  const gone = await run((h) => h.blobs.delete(modelPatchBlobKey(6)));
  assert.deepEqual(gone.fetched, [full5, full6]);
  assert.deepEqual(gone.seen, expected);

  const garbled = await run((h) => h.blobs.put(modelPatchBlobKey(6), Uint8Array.of(1, 2, 3)));
  assert.deepEqual(garbled.fetched, [full5, 3 + full6]);
  assert.deepEqual(garbled.seen, expected);
});

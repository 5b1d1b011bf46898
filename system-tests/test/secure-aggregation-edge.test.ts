// Secure aggregation at one edge over real sockets on loopback: real DeviceClients (socket.io) answer an
// edge-round job with secure aggregation on. The edge's update is the plaintext FedAvg of the same updates
// within the fixed-point bound, also when a third of the devices drop out (half after sharing their keys,
// half after sending their masked input); what the edge receives from one device is uniform words of the
// same length whatever rows the device touched.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CryptoRandom,
  FedAvg,
  decodeSecAggReply,
  decodeEnvelope,
  decodeUpdateReply,
  encodeModelBlob,
  modelBlobKey,
  regionQueue,
  secAggFrameOf,
  secureLayout,
  type ChildOutcome,
  type ClientConnection,
  type DeviceTrainer,
  type EdgeRoundJob,
  type EdgeRoundResult,
  type ModelParams,
  type ModelUpdate,
  type SparseRows,
  type TaskLimits,
  type TensorValue,
} from '@strata/shared';
import { InMemoryBlobStore, InMemoryJobQueue, SocketIoTransportClient, SocketIoTransportServer, createLogger } from '@strata/runtime';
import { DeviceClient } from '@strata/device-client';
import { EdgeNode } from '@strata/edge-node';

const logger = createLogger('test', 'silent');
const REGION = 'west';
const TOKEN = 'secure-aggregation-edge-test';
const ITEMS = 200;
const FACTORS = 8;
const DENSE = 40;
const DEVICES = 12;
const LIMITS: TaskLimits = { maxDeviceWeight: 20, maxRowWeight: { base: 4, perWeight: 0 }, maxEvaluationCount: 1, metricRanges: {} };
const WEIGHT_CAP = 20;

const model: ModelParams = new Map([
  ['item.factors', { kind: 'dense', shape: [ITEMS, FACTORS], values: new Float32Array(ITEMS * FACTORS) }],
  ['user.bias', { kind: 'dense', shape: [DENSE], values: new Float32Array(DENSE) }],
]);

/** A recommender-shaped update: a few touched item rows with row weights, and a dense tensor. */
function updateOf(index: number): ModelUpdate {
  const random = CryptoRandom.fromSeed(new Uint8Array(32).fill(index + 1));
  const touched = new Set<number>();
  while (touched.size < 4 + (random.nextUint32() % 8)) touched.add(random.nextUint32() % ITEMS);
  const rows = Uint32Array.from([...touched].sort((a, b) => a - b));
  const items: SparseRows = {
    kind: 'sparse',
    shape: [ITEMS, FACTORS],
    rows,
    values: Float32Array.from({ length: rows.length * FACTORS }, () => 0.05 * random.normal()),
    rowWeights: Float32Array.from(rows, () => 1 + (random.nextUint32() % 4)),
  };
  const delta = new Map<string, TensorValue>([
    ['item.factors', items],
    ['user.bias', { kind: 'dense', shape: [DENSE], values: Float32Array.from({ length: DENSE }, () => 0.1 * random.normal()) }],
  ]);
  const weight = 1 + (random.nextUint32() % 19);
  return { delta, weight, metrics: { loss: 0.7 * weight } };
}

const trainerOf = (update: ModelUpdate): DeviceTrainer => ({ numSamples: update.weight, train: async () => update });

type Drop = 'after-sharing' | 'after-input' | undefined;

interface Run {
  readonly result: EdgeRoundResult;
  readonly edgeUpdate: ModelUpdate | undefined;
  /** The bytes of each device's masked-input reply, as the edge received them. */
  readonly maskedFrames: Map<number, Uint8Array>;
}

async function runSecureJob(drops: ReadonlyMap<number, Drop>): Promise<Run> {
  const server = await SocketIoTransportServer.listen({ token: TOKEN });
  const queue = new InMemoryJobQueue();
  const blobs = new InMemoryBlobStore();
  const edge = new EdgeNode({
    region: REGION,
    nodeId: 'edge-west',
    server,
    queue,
    blobs,
    strategy: new FedAvg(),
    compression: { dtype: 'float32', errorFeedback: false, perRowScale: true },
    logger,
  });
  const transport = new SocketIoTransportClient({ token: TOKEN });
  const connections: ClientConnection[] = [];
  const maskedFrames = new Map<number, Uint8Array>();
  try {
    for (let i = 0; i < DEVICES; i++) {
      const nodeId = `device-${String(i).padStart(2, '0')}`;
      const device = new DeviceClient({
        nodeId,
        region: REGION,
        trainer: trainerOf(updateOf(i)),
        compression: { dtype: 'float32', errorFeedback: false, perRowScale: true },
        logger,
        secureRandom: () => CryptoRandom.fromSeed(new Uint8Array(32).fill(100 + i)),
      });
      let connection: ClientConnection | undefined;
      connection = await transport.connect(server.address, { nodeId, role: 'device', region: REGION }, async (frame) => {
        const kind = secAggFrameOf(decodeEnvelope(frame))?.kind;
        const drop = drops.get(i);
        // A device that goes away: it closes its link instead of answering, and never answers again.
        if ((drop === 'after-sharing' && kind === 'shareDelivery') || (drop === 'after-input' && kind === 'unmaskRequest')) {
          void connection?.close();
          return new Promise<Uint8Array>(() => {});
        }
        const reply = await device.handle(frame);
        if (kind === 'shareDelivery') maskedFrames.set(i, reply);
        return reply;
      });
      connections.push(connection);
    }
    edge.start();
    await blobs.put(modelBlobKey(1), encodeModelBlob(model, 1));
    const job: EdgeRoundJob = {
      roundId: 'round-1',
      round: 1,
      version: 1,
      modelKey: modelBlobKey(1),
      schedule: { kappa1: 1, kappa2: 1, fraction: 1, quorum: 1, edgeDeadlineSeconds: 30 },
      options: {},
      seed: 7,
      limits: LIMITS,
      clipFactor: 0,
      secureAggregation: { clipRange: 1, dropoutRate: 1 / 3, metricBound: 100, stepSeconds: 5 },
    };
    const outcomes = await new Promise<ChildOutcome[]>((resolve, reject) => {
      queue
        .addFlow({ queue: 'cloud', name: 'cloud-round', data: {}, id: 'flow-1' }, [
          { queue: regionQueue(REGION), name: 'edge-round', data: { ...job }, id: 'job-1' },
        ])
        .then((parent) => queue.waitForFlow(parent, Date.now() + 60_000))
        .then(resolve, reject);
    });
    const outcome = outcomes[0];
    assert.equal(outcome.state, 'completed', JSON.stringify(outcome));
    const result = outcome.result as EdgeRoundResult;
    const blob = result.blobKey ? await blobs.get(result.blobKey) : undefined;
    return { result, edgeUpdate: blob ? decodeUpdateReply(blob).update : undefined, maskedFrames };
  } finally {
    await edge.stop();
    for (const c of connections) await c.close();
    await server.close();
    await queue.close();
  }
}

/** Compares the edge's update with FedAvg of `included` devices' updates, within the fixed-point bound. */
function assertPlaintextMean(edgeUpdate: ModelUpdate, included: readonly number[], parties: number): void {
  const updates = included.map(updateOf);
  const plain = new FedAvg().aggregate(updates);
  const layout = secureLayout(
    model,
    { sessionId: new Uint8Array(32), degree: 2, threshold: 2, clipRange: 1, weightCap: WEIGHT_CAP, metricBound: 100 },
    { metricNames: ['loss'], sparseTensors: ['item.factors'] },
    parties,
  );
  // Each decoded sum is within h/(2S) encoded units for h contributing devices: W h/(2S) on Σ w x and
  // (W/R) h/(2S) on Σ w; a mean a/b is then off by at most (ea + |a/b| eb) / (b - eb), plus float32 rounding.
  const unit = layout.codec.sumErrorBound(updates.length);
  const ea = WEIGHT_CAP * unit;
  const eb = (WEIGHT_CAP / layout.codec.clipRange) * unit;
  let largest = 0;
  for (const [name, expected] of plain.delta) {
    const got = edgeUpdate.delta.get(name)!;
    const dense = (t: TensorValue): Float32Array => {
      if (t.kind === 'dense') return t.values;
      const out = new Float32Array(t.shape.reduce((a, b) => a * b, 1));
      const width = t.shape.length > 1 ? t.shape[1] : 1;
      t.rows.forEach((r, k) => out.set(t.values.subarray(k * width, (k + 1) * width), r * width));
      return out;
    };
    const weightOf = (t: TensorValue, row: number): number => {
      if (t.kind === 'dense') return plain.weight;
      const k = t.rows.indexOf(row);
      return k < 0 ? 0 : (t.rowWeights?.[k] ?? plain.weight);
    };
    const e = dense(expected);
    const g = dense(got);
    const width = expected.shape.length > 1 ? expected.shape[1] : 1;
    for (let i = 0; i < e.length; i++) {
      const b = weightOf(expected, Math.floor(i / width));
      const bound = b > 0 ? (ea + Math.abs(e[i]) * eb) / (b - eb) + Math.abs(e[i]) * 2 ** -23 : 0;
      const error = Math.abs(e[i] - g[i]);
      largest = Math.max(largest, error);
      assert.ok(error <= bound, `${name}[${i}]: ${g[i]} vs plaintext ${e[i]} (bound ${bound})`);
    }
  }
  assert.ok(Math.abs(edgeUpdate.weight - plain.weight) <= eb, `weight ${edgeUpdate.weight} vs ${plain.weight}`);
  process.stdout.write(`# ${included.length} devices in the sum: largest error ${largest.toExponential(2)}\n`);
}

test("over real sockets, the edge's secure sum is the plaintext FedAvg of its devices' updates within the fixed-point bound", async () => {
  const { result, edgeUpdate, maskedFrames } = await runSecureJob(new Map());
  assert.equal(result.participation.answered, DEVICES);
  assert.equal(result.participation.secAggAborted ?? 0, 0);
  assert.ok(edgeUpdate);
  assertPlaintextMean(
    edgeUpdate,
    Array.from({ length: DEVICES }, (_, i) => i),
    DEVICES,
  );
  const samples = Array.from({ length: DEVICES }, (_, i) => updateOf(i).weight).reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(result.metrics.samples - samples) < 1e-6, `samples ${result.metrics.samples} vs ${samples} (the weight, unmasked)`);
  assert.ok(
    Math.abs(result.metrics.loss - 0.7 * samples) < 1e-4,
    `loss sum ${result.metrics.loss} vs ${0.7 * samples} (summed under the mask)`,
  );
  assert.equal(maskedFrames.size, DEVICES);
});

test('a third of the devices dropping out (after sharing, after their masked input) still gives the right sum', async () => {
  const drops = new Map<number, Drop>([
    [1, 'after-sharing'],
    [6, 'after-sharing'],
    [3, 'after-input'],
    [10, 'after-input'],
  ]);
  const { result, edgeUpdate } = await runSecureJob(drops);
  // Inputs that reached the edge are in the sum, including those of devices that left before unmasking.
  const included = Array.from({ length: DEVICES }, (_, i) => i).filter((i) => drops.get(i) !== 'after-sharing');
  assert.equal(result.participation.answered, included.length);
  assert.equal(result.participation.secAggRecovered, 2, 'the two devices that left after sharing had their masks removed');
  assert.equal(result.participation.secAggAborted ?? 0, 0);
  assert.ok(edgeUpdate);
  assertPlaintextMean(edgeUpdate, included, DEVICES);
});

test('what the edge receives from one device is uniform words, of one length whatever rows the device touched', async () => {
  const { maskedFrames } = await runSecureJob(new Map());
  const lengths = new Set([...maskedFrames.values()].map((f) => f.byteLength));
  assert.equal(lengths.size, 1, 'every masked input frame has the same size');
  const touchedCounts = new Set(
    Array.from({ length: DEVICES }, (_, i) => (updateOf(i).delta.get('item.factors') as SparseRows).rows.length),
  );
  assert.ok(touchedCounts.size > 1, 'the devices touched different numbers of rows');

  const words = decodeSecAggReply(maskedFrames.get(0)!, 'maskedInput').message.words;
  // Chi-square of the words' top bytes against uniform: 256 bins, 255 degrees of freedom; 330.5 is p = 0.001.
  const bins = new Float64Array(256);
  for (const w of words) bins[w >>> 24]++;
  const expected = words.length / 256;
  const chi2 = bins.reduce((s, o) => s + (o - expected) ** 2 / expected, 0);
  assert.ok(chi2 < 330.5, `chi-square ${chi2.toFixed(1)} over ${words.length} words`);

  // The row-weight words say which rows a device touched in the clear (zero elsewhere); masked, a guess of the
  // touched rows from them (the rows with the smallest words) does no better than chance.
  const touched = new Set((updateOf(0).delta.get('item.factors') as SparseRows).rows);
  const rowWeightWords = Array.from({ length: ITEMS }, (_, r) => ({ r, w: words[ITEMS * FACTORS + r] }));
  const guess = rowWeightWords.sort((a, b) => Math.min(a.w, 2 ** 32 - a.w) - Math.min(b.w, 2 ** 32 - b.w)).slice(0, touched.size);
  const hits = guess.filter((g) => touched.has(g.r)).length;
  assert.ok(hits <= 2, `${hits} of ${touched.size} touched rows guessed (chance: ${((touched.size * touched.size) / ITEMS).toFixed(2)})`);
  process.stdout.write(`# masked words chi-square ${chi2.toFixed(1)} (df 255); touched rows guessed ${hits}/${touched.size}\n`);
});

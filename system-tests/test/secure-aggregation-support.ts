// What the secure-aggregation tests at one edge share: a recommender-shaped model and the updates of its
// devices (by index, so a device in another process sends the same update), an EdgeNode on a socket.io server
// that runs secure edge-round jobs on whoever is connected, and the check that an edge's secure mean is the
// plaintext FedAvg of the included updates within the fixed-point bound.

import assert from 'node:assert/strict';
import {
  CryptoRandom,
  FedAvg,
  decodeUpdateReply,
  encodeModelBlob,
  modelBlobKey,
  regionQueue,
  secureLayout,
  type DeviceTrainer,
  type EdgeRoundJob,
  type EdgeRoundResult,
  type ModelParams,
  type ModelUpdate,
  type SparseRows,
  type TaskLimits,
  type TensorValue,
} from '@strata/shared';
import { InMemoryBlobStore, InMemoryJobQueue, SocketIoTransportServer, createLogger, type TransportRefusal } from '@strata/runtime';
import { EdgeNode } from '@strata/edge-node';

export const ITEMS = 200;
export const FACTORS = 8;
const DENSE = 40;
export const LIMITS: TaskLimits = { maxDeviceWeight: 20, maxRowWeight: { base: 4, perWeight: 0 }, maxEvaluationCount: 1, metricRanges: {} };
const WEIGHT_CAP = 20;
export const COMPRESSION = { dtype: 'float32', errorFeedback: false, perRowScale: true, entropy: 'none' } as const;

export const model: ModelParams = new Map([
  ['item.factors', { kind: 'dense', shape: [ITEMS, FACTORS], values: new Float32Array(ITEMS * FACTORS) }],
  ['user.bias', { kind: 'dense', shape: [DENSE], values: new Float32Array(DENSE) }],
]);

/** A recommender-shaped update: a few touched item rows with row weights, and a dense tensor. */
export function updateOf(index: number): ModelUpdate {
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

/** Compares the edge's update with FedAvg of `included` devices' updates, within the fixed-point bound. */
export function assertPlaintextMean(edgeUpdate: ModelUpdate, included: readonly number[], parties: number): void {
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

export const trainerOf = (update: ModelUpdate): DeviceTrainer => ({ numSamples: update.weight, train: async () => update });

export interface SecureJobRun {
  readonly result: EdgeRoundResult;
  readonly edgeUpdate: ModelUpdate | undefined;
}

/** An edge (EdgeNode, socket.io on loopback, in-memory queue and blobs) that runs secure jobs on its connected devices. */
export class SecureEdge {
  private jobs = 0;

  private constructor(
    /** Frames and messages the transport refused, by reason. */
    readonly refusals: ReadonlyMap<TransportRefusal, number>,
    readonly server: SocketIoTransportServer,
    private readonly queue: InMemoryJobQueue,
    private readonly blobs: InMemoryBlobStore,
    private readonly edge: EdgeNode,
  ) {}

  static async start(token: string, region: string): Promise<SecureEdge> {
    const refusals = new Map<TransportRefusal, number>();
    const server = await SocketIoTransportServer.listen({
      token,
      onRefusal: (reason) => refusals.set(reason, (refusals.get(reason) ?? 0) + 1),
    });
    const queue = new InMemoryJobQueue();
    const blobs = new InMemoryBlobStore();
    const logger = createLogger('test', 'silent');
    const edge = new EdgeNode({
      region,
      nodeId: `edge-${region}`,
      server,
      queue,
      blobs,
      strategy: new FedAvg(),
      compression: COMPRESSION,
      logger,
    });
    edge.start();
    await blobs.put(modelBlobKey(1), encodeModelBlob(model, 1));
    return new SecureEdge(refusals, server, queue, blobs, edge);
  }

  /** One secure edge-round job over every connected device, to completion (the job itself must not fail). */
  async run(region: string, stepSeconds = 5): Promise<SecureJobRun> {
    const id = ++this.jobs;
    const job: EdgeRoundJob = {
      roundId: `round-${id}`,
      round: id,
      version: 1,
      modelKey: modelBlobKey(1),
      schedule: { kappa1: 1, kappa2: 1, fraction: 1, quorum: 1, edgeDeadlineSeconds: 6 * stepSeconds },
      options: {},
      seed: 7,
      limits: LIMITS,
      clipFactor: 0,
      secureAggregation: { clipRange: 1, dropoutRate: 1 / 3, metricBound: 100, stepSeconds },
    };
    const parent = await this.queue.addFlow({ queue: 'cloud', name: 'cloud-round', data: {}, id: `flow-${id}` }, [
      { queue: regionQueue(region), name: 'edge-round', data: { ...job }, id: `job-${id}` },
    ]);
    const [outcome] = await this.queue.waitForFlow(parent, Date.now() + 12_000 * stepSeconds);
    assert.equal(outcome.state, 'completed', JSON.stringify(outcome));
    const result = outcome.result as EdgeRoundResult;
    const blob = result.blobKey ? await this.blobs.get(result.blobKey) : undefined;
    return { result, edgeUpdate: blob ? decodeUpdateReply(blob).update : undefined };
  }

  async stop(): Promise<void> {
    await this.edge.stop();
    await this.server.close();
    await this.queue.close();
  }
}

// An edge under an asynchronous schedule (embedded runtime: in-process transport, in-memory queue and
// blobs): a device answers from a model K versions old while another device keeps the edge stepping. Within
// the staleness bound its update counts, scaled by 1/√(1+K), and the round records its staleness; beyond the
// bound it is refused and counted as too_stale.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CLOUD_QUEUE,
  FedAvg,
  UpdateEncoder,
  decodeRoundRequest,
  decodeUpdateReply,
  dense,
  edgeRoundResultSchema,
  encodeModelBlob,
  modelBlobKey,
  regionQueue,
  type EdgeRoundJob,
  type ModelUpdate,
} from '@strata/shared';
import { InMemoryBlobStore, InMemoryJobQueue, InProcessNetwork, createLogger } from '@strata/runtime';
import { EdgeNode } from '../src/index.js';

const REGION = 'west';
const compression = { dtype: 'float32', errorFeedback: false, perRowScale: true, entropy: 'none' } as const;
const update = (values: number[]): ModelUpdate => ({
  delta: new Map([['w', dense([2], Float32Array.from(values))]]),
  weight: 1,
  metrics: {},
});

/**
 * Runs one FedAsync edge round (α = 1) with two devices: `fast` answers [1, 0] at once, K times, then never;
 * `slow` answers [0, 1] to its first request (sent at the round's first version) once `fast` has been sent
 * its (K+1)-th request, i.e. once the edge has made K versions since, then never again. Returns the round's result, the edge
 * delta and the rejections the edge reported.
 */
async function staleRound(k: number, maxStaleness: number) {
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
    compression,
    logger: createLogger('test', 'silent'),
    onReject: (reason, deviceId) => rejected.push(`${deviceId}:${reason}`),
  });
  const encoder = new UpdateEncoder(compression);
  let fastRequests = 0;
  let releaseSlow: () => void = () => {};
  const slowMayAnswer = new Promise<void>((resolve) => {
    releaseSlow = resolve;
  });
  const answer = (nodeId: string, frame: Uint8Array, u: ModelUpdate): Uint8Array => {
    const request = decodeRoundRequest(frame);
    return encoder.encode(u, { roundId: request.roundId, baseVersion: request.version, sender: nodeId });
  };
  await network.connect(REGION, { nodeId: 'fast', role: 'device', region: REGION }, async (frame) => {
    fastRequests++;
    if (fastRequests === k + 1) releaseSlow();
    if (fastRequests > k) return new Promise<Uint8Array>(() => {});
    return answer('fast', frame, update([1, 0]));
  });
  let slowRequests = 0;
  await network.connect(REGION, { nodeId: 'slow', role: 'device', region: REGION }, async (frame) => {
    if (++slowRequests > 1) return new Promise<Uint8Array>(() => {});
    if (k === 0) releaseSlow();
    await slowMayAnswer;
    return answer('slow', frame, update([0, 1]));
  });
  edge.start();
  await blobs.put(modelBlobKey(3), encodeModelBlob(new Map([['w', dense([2], Float32Array.of(0, 0))]]), 3));
  const job: EdgeRoundJob = {
    roundId: 'r1-v3',
    round: 1,
    version: 3,
    modelKey: modelBlobKey(3),
    options: {},
    seed: 0,
    // The round wants K + 1 updates: it ends on the slow one when it counts, at its deadline when refused.
    schedule: { kappa1: 1, kappa2: k + 1, fraction: 1, quorum: 1, edgeDeadlineSeconds: 0.25 },
    asyncSchedule: { mode: 'fedasync', bufferSize: 1, maxStaleness, stalenessExponent: 0.5, mixing: 1 },
  };
  await queue.addFlow({ queue: CLOUD_QUEUE, name: 'cloud-round', data: {}, id: 'flow' }, [
    { queue: regionQueue(REGION), name: 'edge-round', data: job, attempts: 1, id: 'flow-0' },
  ]);
  const [outcome] = await queue.waitForFlow('flow', Date.now() + 30_000);
  await edge.stop();
  await queue.close();
  assert.equal(outcome.state, 'completed', JSON.stringify(outcome));
  const result = edgeRoundResultSchema.parse(outcome.result);
  assert.ok(result.blobKey);
  const { update: delta } = decodeUpdateReply((await blobs.get(result.blobKey))!);
  return { result, delta: [...delta.delta.get('w')!.values], rejected };
}

const close = (actual: number, expected: number, what: string): void =>
  assert.ok(Math.abs(actual - expected) < 1e-5, `${what}: ${actual}, expected ${expected}`);

for (const maxStaleness of [0, 3, 8]) {
  for (const k of [0, 1, 3, 4, 8, 9].filter((k) => k <= maxStaleness + 1)) {
    const within = k <= maxStaleness;
    test(`bound ${maxStaleness}: an update ${k} versions old is ${within ? 'accepted, scaled by 1/√(1+K)' : 'refused and counted as too_stale'}`, async () => {
      const { result, delta, rejected } = await staleRound(k, maxStaleness);
      const { participation } = result;
      close(delta[0], k, 'the fast device’s K fresh updates');
      if (within) {
        close(delta[1], 1 / Math.sqrt(1 + k), 'the slow update, down-weighted');
        assert.equal(participation.staleness?.[String(k)], 1, JSON.stringify(participation.staleness));
        assert.deepEqual(participation.rejected, {});
        assert.deepEqual(rejected, []);
        assert.equal(participation.answered, k + 1);
        assert.equal(participation.edgeSteps, k + 1);
      } else {
        close(delta[1], 0, 'the refused update left the model alone');
        assert.deepEqual(participation.rejected, { too_stale: 1 });
        assert.deepEqual(rejected, ['slow:too_stale']);
        assert.equal(participation.answered, k);
        assert.equal(participation.staleness?.[String(k)], undefined);
      }
    });
  }
}

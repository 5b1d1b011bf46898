// The asynchronous cloud on the embedded runtime with scripted edges that answer when the test lets them: a
// cloud step per edge result (FedBuff, K = 1) scaled by s(τ) = 1/(1+τ); an edge result based on a model more
// than maxStaleness versions old is refused as too_stale and the edge gets its next job on the newest model;
// an edge whose update claims another job or version than the one it was given is refused as stale; and a
// coordinator stopped with an update in its buffer is resumed with that buffer and the same jobs.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  UpdateEncoder,
  createStrategy,
  dense,
  edgeUpdateBlobKey,
  emptyParticipation,
  parseSchedule,
  regionQueue,
  type EdgeRoundJob,
  type FederatedTask,
  type JobData,
} from '@strata/shared';
import { InMemoryBlobStore, InMemoryJobQueue, InMemoryStateStore, createLogger } from '@strata/runtime';
import { Coordinator } from '../src/index.js';

const logger = createLogger('test', 'silent');
const task: FederatedTask = {
  id: 'test/two-values',
  numDevices: 0,
  describe: () => ({}),
  defaultOptions: () => ({}),
  initModel: () => new Map([['w', dense([2], Float32Array.of(0, 0))]]),
  createDevice: () => {
    throw new Error('no devices');
  },
};
const encoder = new UpdateEncoder({ dtype: 'float32', errorFeedback: false, perRowScale: true, entropy: 'none' });
const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Scripted edges: region → its update's values; each job waits until `release(region)`. `claim` changes the
 * base version an edge writes in its update blob (a lying edge).
 */
function edges(
  queue: InMemoryJobQueue,
  blobs: InMemoryBlobStore,
  values: Record<string, number[]>,
  claim = (job: EdgeRoundJob) => job.version,
) {
  const held = new Map<string, (() => void)[]>();
  const jobs: EdgeRoundJob[] = [];
  for (const [region, delta] of Object.entries(values)) {
    held.set(region, []);
    queue.process(regionQueue(region), async (job): Promise<JobData> => {
      const data = job.data as EdgeRoundJob;
      jobs.push(data);
      await new Promise<void>((resolve) => held.get(region)!.push(resolve));
      const blobKey = edgeUpdateBlobKey(data.roundId, region);
      const update = { delta: new Map([['w', dense([2], Float32Array.from(delta))]]), weight: 1, metrics: {} };
      await blobs.put(blobKey, encoder.encode(update, { roundId: data.roundId, baseVersion: claim(data), sender: region }));
      return { blobKey, weight: 1, metrics: {}, participation: { ...emptyParticipation(), selected: 1, answered: 1 } };
    });
  }
  /** Lets `region`'s job in progress answer, once it has one. */
  const release = async (region: string): Promise<void> => {
    while (held.get(region)!.length === 0) await tick();
    held.get(region)!.shift()!();
  };
  return { jobs, release };
}

function cloudCoordinator(options: {
  queue: InMemoryJobQueue;
  blobs: InMemoryBlobStore;
  regions: string[];
  cloud: Record<string, unknown>;
  state?: InMemoryStateStore;
  signal?: AbortSignal;
}): Coordinator {
  return new Coordinator({
    task,
    strategy: createStrategy('fedavg', {}),
    queue: options.queue,
    blobs: options.blobs,
    regions: options.regions,
    schedule: parseSchedule({ roundDeadlineSeconds: 60, cloud: options.cloud }),
    taskOptions: {},
    seed: 0,
    logger,
    ...(options.state ? { state: options.state, configHash: 'h' } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
}

const values = (coordinator: Coordinator): number[] => [...coordinator.globalModel.get('w')!.values];

test('an edge result past the staleness bound is refused as too_stale; one within it is scaled by s(τ)', async () => {
  const [queue, blobs] = [new InMemoryJobQueue(), new InMemoryBlobStore()];
  const { jobs, release } = edges(queue, blobs, { fast: [1, 0], slow: [0, 1] });
  const coordinator = cloudCoordinator({
    queue,
    blobs,
    regions: ['fast', 'slow'],
    cloud: { mode: 'fedbuff', bufferSize: 1, maxStaleness: 1, stalenessExponent: 1 },
  });
  try {
    await coordinator.start();
    // Rounds 1 and 2: the fast edge steps twice while the slow one holds its job on version 0.
    for (const round of [1, 2]) {
      const running = coordinator.runRound(round);
      await release('fast');
      assert.equal((await running).version, round);
    }
    assert.deepEqual(values(coordinator), [2, 0]);
    // Round 3: the slow edge answers for version 0, two versions old: refused, and given a job on version 2.
    const third = coordinator.runRound(3);
    await release('slow');
    await release('fast');
    const outcome = await third;
    assert.deepEqual(outcome.participation.edgeRejections, { too_stale: 1 });
    assert.equal(outcome.participation.edgesAnswered, 1);
    assert.deepEqual(values(coordinator), [3, 0], 'the refused update left the model alone');
    assert.deepEqual(
      jobs.filter((job) => job.roundId.endsWith('-slow')).map((job) => job.version),
      [0, 2],
      "the slow edge's next job is on the newest model",
    );
    // Round 4: the slow edge answers for version 2, one version old: taken at weight 1/(1+1).
    const fourth = coordinator.runRound(4);
    await release('slow');
    const taken = await fourth;
    assert.deepEqual(values(coordinator), [3, 0.5]);
    assert.deepEqual(taken.participation.cloudStaleness, { '1': 1 });
    assert.deepEqual(coordinator.roundRecord(4)?.cloudStaleness, { updates: 1, mean: 1, max: 1 });
    assert.equal(coordinator.roundRecord(4)?.version, 4);
  } finally {
    await queue.close();
  }
});

test('an edge update that claims another base version than its job named is refused as stale', async () => {
  const [queue, blobs] = [new InMemoryJobQueue(), new InMemoryBlobStore()];
  let lies = 1;
  const { release } = edges(queue, blobs, { liar: [5, 5] }, (job) => (lies-- > 0 ? job.version + 3 : job.version));
  const coordinator = cloudCoordinator({ queue, blobs, regions: ['liar'], cloud: { mode: 'fedbuff', bufferSize: 1 } });
  try {
    await coordinator.start();
    const running = coordinator.runRound(1);
    await release('liar');
    await release('liar');
    const outcome = await running;
    assert.deepEqual(outcome.participation.edgeRejections, { stale: 1 });
    assert.equal(outcome.version, 1);
    assert.deepEqual(values(coordinator), [5, 5], 'only the honest answer');
  } finally {
    await queue.close();
  }
});

test('a coordinator stopped with an edge update in its buffer is resumed with that buffer and the same jobs', async () => {
  const [queue, blobs, state] = [new InMemoryJobQueue(), new InMemoryBlobStore(), new InMemoryStateStore()];
  const { jobs, release } = edges(queue, blobs, { east: [2, 0], west: [0, 4] });
  const cloud = { mode: 'fedbuff', bufferSize: 2 };
  try {
    const stopping = new AbortController();
    const first = cloudCoordinator({ queue, blobs, regions: ['east', 'west'], cloud, state, signal: stopping.signal });
    await first.start();
    const abandoned = first.runRound(1);
    await release('east');
    // East's answer is buffered (K = 2) and east has its next job: then the coordinator is stopped.
    while (((await state.load())?.cloudAsync?.buffer.length ?? 0) === 0) await tick();
    stopping.abort(new Error('stopping'));
    await assert.rejects(abandoned, /stopping/);

    const second = cloudCoordinator({ queue, blobs, regions: ['east', 'west'], cloud, state });
    await second.start();
    assert.equal(second.version, 0);
    const running = second.runRound(1);
    await release('west');
    const outcome = await running;
    assert.equal(outcome.resumed, true);
    assert.equal(outcome.version, 1);
    assert.deepEqual(values(second), [1, 2], "the mean of east's buffered update and west's");
    assert.deepEqual(
      jobs.map((job) => job.roundId),
      ['j1-v0-east', 'j2-v0-west', 'j3-v0-east'],
      'no job was added twice',
    );
    const saved = await state.load();
    assert.deepEqual(saved?.cloudAsync?.buffer, []);
    assert.deepEqual(
      saved?.cloudAsync?.jobs.map((job) => job.roundId),
      ['j3-v0-east'],
    );
  } finally {
    await queue.close();
  }
});

test('a task that rebuilds its layout between rounds (afterRound) is refused with an asynchronous tier', () => {
  const rebuilding: FederatedTask = { ...task, id: 'test/rebuilds-layout', afterRound: () => {} };
  const make = (schedule: Record<string, unknown>): Coordinator =>
    new Coordinator({
      task: rebuilding,
      strategy: createStrategy('fedavg', {}),
      queue: new InMemoryJobQueue(),
      blobs: new InMemoryBlobStore(),
      regions: ['a'],
      schedule: parseSchedule(schedule),
      taskOptions: {},
      seed: 0,
      logger,
    });
  assert.throws(() => make({ cloud: { mode: 'fedbuff' } }), /test\/rebuilds-layout .*needs synchronous rounds/);
  assert.throws(() => make({ mode: 'fedbuff' }), /test\/rebuilds-layout .*needs synchronous rounds/);
  assert.doesNotThrow(() => make({}));
});

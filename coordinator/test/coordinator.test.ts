// The cloud tier on the embedded runtime (in-memory queue and blobs), with scripted edges answering its
// flows: a round aggregates the edges' update blobs by weight; an edge whose result breaks its schema, whose
// blob is missing or whose update is not finite is rejected with a counted reason while the others count;
// a round without any update fails and leaves the model alone (three in a row stop the run), a lost model
// blob is published again; evaluation divides the edges' sums by their count.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  FedAvg,
  UpdateEncoder,
  dense,
  edgeUpdateBlobKey,
  emptyParticipation,
  modelBlobKey,
  parseSchedule,
  regionQueue,
  type EdgeRoundJob,
  type FederatedTask,
  type JobData,
  type ModelUpdate,
} from '@strata/shared';
import { InMemoryBlobStore, InMemoryJobQueue, createLogger } from '@strata/runtime';
import { Coordinator } from '../src/index.js';

const logger = createLogger('test', 'silent');
const task: FederatedTask = {
  id: 'test/two-values',
  numDevices: 0,
  describe: () => ({}),
  defaultOptions: () => ({ learningRate: 0.5 }),
  initModel: () => new Map([['w', dense([2], Float32Array.of(1, 1))]]),
  createDevice: () => {
    throw new Error('no devices');
  },
};

/** What a scripted edge does with a job: answer with a result, after storing `update` as its blob if given. */
type EdgeScript = (job: EdgeRoundJob, name: string) => { update?: ModelUpdate; result: JobData };

const update = (values: number[], weight: number): ModelUpdate => ({
  delta: new Map([['w', dense([2], Float32Array.from(values))]]),
  weight,
  metrics: {},
});

function roundResult(region: string, job: EdgeRoundJob, weight: number): JobData {
  return {
    blobKey: edgeUpdateBlobKey(job.roundId, region),
    weight,
    metrics: { loss: weight, samples: weight },
    participation: { ...emptyParticipation(), selected: 1, answered: 1 },
  };
}

async function coordinatorWith(scripts: Record<string, EdgeScript>) {
  const queue = new InMemoryJobQueue();
  const blobs = new InMemoryBlobStore();
  const encoder = new UpdateEncoder({ dtype: 'float32', errorFeedback: false, perRowScale: true, entropy: 'none' });
  const jobs: EdgeRoundJob[] = [];
  for (const [region, script] of Object.entries(scripts)) {
    queue.process(regionQueue(region), async (job) => {
      const data = job.data as EdgeRoundJob;
      jobs.push(data);
      const { update: u, result } = script(data, job.name);
      if (u)
        await blobs.put(
          edgeUpdateBlobKey(data.roundId, region),
          encoder.encode(u, { roundId: data.roundId, baseVersion: data.version, sender: region }),
        );
      return result;
    });
  }
  const coordinator = new Coordinator({
    task,
    strategy: new FedAvg(),
    queue,
    blobs,
    regions: Object.keys(scripts),
    schedule: parseSchedule({ roundDeadlineSeconds: 30 }),
    taskOptions: task.defaultOptions(),
    seed: 0,
    logger,
  });
  await coordinator.start();
  return { coordinator, jobs, blobs, close: () => queue.close() };
}

test("a round aggregates the edges' updates by weight, publishes the next version, and sends the task's options", async () => {
  const { coordinator, jobs, close } = await coordinatorWith({
    east: (job) => ({ update: update([1, 0], 1), result: roundResult('east', job, 1) }),
    west: (job) => ({ update: update([0, 1], 3), result: roundResult('west', job, 3) }),
  });
  try {
    const outcome = await coordinator.runRound(1);
    assert.equal(outcome.version, 1);
    assert.deepEqual([...coordinator.globalModel.get('w')!.values], [1.25, 1.75]);
    assert.equal(outcome.participation.edgesAnswered, 2);
    assert.equal(outcome.metrics.loss, 1, 'loss sums divided by samples');
    assert.deepEqual(
      jobs.map((j) => j.options),
      [{ learningRate: 0.5 }, { learningRate: 0.5 }],
    );
    assert.deepEqual(coordinator.roundRecord(1)?.bytes.edgeCloud, outcome.bytes.edgeCloudDown + outcome.bytes.edgeCloudUp);
  } finally {
    await close();
  }
});

test('an edge whose result breaks its schema, whose blob is missing or whose update is not finite is rejected; the rest count', async () => {
  const { coordinator, close } = await coordinatorWith({
    a: (job) => ({ update: update([2, 2], 1), result: roundResult('a', job, 1) }),
    b: (job) => ({ update: update([9, 9], 1), result: { ...roundResult('b', job, 1), weight: -5 } }),
    c: (job) => ({ result: roundResult('c', job, 1) }),
    d: (job) => ({ update: update([Number.NaN, 1], 1), result: roundResult('d', job, 1) }),
  });
  try {
    const outcome = await coordinator.runRound(1);
    assert.deepEqual(outcome.participation.edgeRejections, { malformed: 1, missing: 1, non_finite: 1 });
    assert.equal(outcome.participation.edgesAnswered, 1);
    assert.deepEqual([...coordinator.globalModel.get('w')!.values], [3, 3], "only edge a's update");
  } finally {
    await close();
  }
});

test('a round in which no edge sent an update fails, leaving the model alone; three in a row stop the run', async () => {
  const { coordinator, blobs, close } = await coordinatorWith({
    a: () => ({ result: { weight: 0, metrics: {}, participation: emptyParticipation() } }),
  });
  try {
    const outcome = await coordinator.runRound(1);
    assert.equal(outcome.version, 0);
    assert.equal(outcome.failed, true);
    assert.equal(coordinator.roundRecord(1)?.failed, true, 'the record says the round failed');
    assert.deepEqual([...coordinator.globalModel.get('w')!.values], [1, 1]);
    await coordinator.runRound(2);
    // The blob store lost the model (Redis restarted empty): the next round publishes it again first.
    await blobs.delete(modelBlobKey(0));
    await assert.rejects(coordinator.runRound(3), /3 rounds in a row accepted no update \(the last, round 3/);
    assert.equal(await blobs.has(modelBlobKey(0)), true, "the coordinator's copy was published again");
  } finally {
    await close();
  }
});

test("evaluation on the devices: the edges' metric sums divided by their count; a malformed result is left out", async () => {
  const { coordinator, close } = await coordinatorWith({
    a: () => ({ result: { count: 2, sums: { 'recall@20': 0.5 }, participation: emptyParticipation() } }),
    b: () => ({ result: { count: 3, sums: { 'recall@20': 1.5 }, participation: emptyParticipation() } }),
    c: () => ({ result: { count: 'many', sums: {}, participation: emptyParticipation() } }),
  });
  try {
    const { metrics } = await coordinator.evaluate(0);
    assert.deepEqual(metrics, { 'recall@20': 0.4 });
  } finally {
    await close();
  }
});

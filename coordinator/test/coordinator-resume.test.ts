// A coordinator restarted on the same state store resumes: the same model version, and it waits for the flow
// its predecessor left in flight instead of adding the round again.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ConfigError, InMemoryBlobStore, InMemoryJobQueue, UpdateEncoder, createLogger, createStrategy, dense, edgeUpdateBlobKey,
  parseSchedule, regionQueue, type EdgeRoundJob, type EdgeRoundResult, type FederatedTask, type JobQueue,
} from '@strata/shared';
import { Coordinator, InMemoryStateStore } from '../src/index.js';

const logger = createLogger('test', 'silent');

/** A 4-number model. */
const task: FederatedTask = {
  id: 'test/shift', numDevices: 0, describe: () => ({}), defaultOptions: () => ({}),
  initModel: () => new Map([['w', dense([4])]]),
  createDevice: () => {
    throw new Error('no devices');
  },
};

/** Counts the flows added; `dead` makes waits never end, as for a coordinator killed while waiting. */
function observedQueue(queue: JobQueue, dead: boolean): JobQueue & { flows: number } {
  const observed = {
    flows: 0,
    addFlow: async (...args: Parameters<JobQueue['addFlow']>) => {
      observed.flows++;
      return queue.addFlow(...args);
    },
    waitForFlow: (parentId: string, deadline: number) => (dead ? new Promise<never>(() => {}) : queue.waitForFlow(parentId, deadline)),
    process: queue.process.bind(queue),
    close: queue.close.bind(queue),
  };
  return observed;
}

test('a restarted coordinator resumes at the same version and waits for the flow in flight', async () => {
  const [queue, blobs, state] = [new InMemoryJobQueue(), new InMemoryBlobStore(), new InMemoryStateStore()];
  const schedule = parseSchedule({ rounds: 2, roundDeadlineSeconds: 30 });
  const coordinator = (q: JobQueue, configHash = 'h1') => new Coordinator({
    task, strategy: createStrategy('fedavg', {}), queue: q, blobs, regions: ['r1'], schedule, taskOptions: {}, seed: 0, logger,
    state, configHash,
  });
  const dying = observedQueue(queue, true);
  const first = coordinator(dying);
  await first.start();
  void first.runRound(1);
  while (!first.flowInFlight) await new Promise((resolve) => setImmediate(resolve));

  const living = observedQueue(queue, false);
  const second = coordinator(living);
  await second.start();
  assert.equal(second.version, 0);
  assert.equal(second.round, 0);
  assert.equal(second.flowInFlight?.parentId, first.flowInFlight.parentId);

  // The edge: moves the model by 1.5 each round.
  const encoder = new UpdateEncoder({ dtype: 'float32', perRowScale: true, errorFeedback: true });
  const edge = queue.process(regionQueue('r1'), async (job) => {
    const data = job.data as unknown as EdgeRoundJob;
    const blobKey = edgeUpdateBlobKey(data.roundId, 'r1');
    const update = { delta: new Map([['w', dense([4], new Float32Array(4).fill(1.5))]]), weight: 2, metrics: { loss: 2 } };
    await blobs.put(blobKey, encoder.encode(update, { roundId: data.roundId, baseVersion: data.version, sender: 'edge' }));
    const participation = { selected: 2, answered: 2, dropped: 0, failed: 0, rejected: {}, bytesDown: 0, bytesUp: 0 };
    const result: EdgeRoundResult = { blobKey, weight: 2, metrics: { loss: 2, samples: 2 }, participation };
    return result;
  });
  const outcome = await second.runRound(1);
  assert.equal(outcome.resumed, true);
  assert.equal(outcome.version, 1);
  assert.equal(living.flows, 0, 'the resumed round adds no flow');
  assert.deepEqual([...second.globalModel.get('w')!.values], [1.5, 1.5, 1.5, 1.5]);
  assert.deepEqual(await state.load(), { configHash: 'h1', version: 1, round: 1 });
  assert.equal(second.roundRecords()[0].round, 1);

  const third = coordinator(living);
  await third.start();
  assert.equal(third.version, 1);
  assert.deepEqual([...third.globalModel.get('w')!.values], [1.5, 1.5, 1.5, 1.5], 'the model comes back from its blob');
  await third.runRound(2);
  assert.equal(living.flows, 1);
  assert.equal(third.version, 2);
  assert.deepEqual([...third.globalModel.get('w')!.values], [3, 3, 3, 3]);

  await assert.rejects(coordinator(living, 'other').start(), (error: unknown) => error instanceof ConfigError && /another configuration/.test(error.message));
  await edge.close();
  await queue.close();
});

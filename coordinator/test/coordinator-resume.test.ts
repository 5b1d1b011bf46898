// A coordinator restarted on the same state store resumes: the same model version, and it waits for the flow
// its predecessor left in flight (adding it again under the same ids adds nothing) instead of a new round.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ConfigError,
  UpdateEncoder,
  createStrategy,
  dense,
  edgeUpdateBlobKey,
  parseSchedule,
  regionQueue,
  type EdgeRoundJob,
  type EdgeRoundResult,
  type FederatedTask,
  type JobQueue,
} from '@strata/shared';
import { InMemoryBlobStore, InMemoryJobQueue, InMemoryStateStore, createLogger } from '@strata/runtime';
import { Coordinator } from '../src/index.js';

const logger = createLogger('test', 'silent');

/** A 4-number model. */
const task: FederatedTask = {
  id: 'test/shift',
  numDevices: 0,
  describe: () => ({}),
  defaultOptions: () => ({}),
  initModel: () => new Map([['w', dense([4])]]),
  createDevice: () => {
    throw new Error('no devices');
  },
};

/** Where a coordinator dies: before its flow reaches the queue, or while it waits for the flow's results. */
type Death = 'before-add' | 'while-waiting';

/** The queue as a coordinator sees it; a dying one's calls never return past its point of death. */
function coordinatorQueue(queue: JobQueue, death?: Death): JobQueue {
  const never = (): Promise<never> => new Promise<never>(() => {});
  return {
    addFlow: death === 'before-add' ? never : queue.addFlow.bind(queue),
    waitForFlow: death === undefined ? queue.waitForFlow.bind(queue) : never,
    process: queue.process.bind(queue),
    close: queue.close.bind(queue),
  };
}

for (const death of ['before-add', 'while-waiting'] as const) {
  test(`a coordinator that died ${death.replace('-', ' ')} is resumed: same version, and round 1 runs once`, async () => {
    const [queue, blobs, state] = [new InMemoryJobQueue(), new InMemoryBlobStore(), new InMemoryStateStore()];
    const schedule = parseSchedule({ rounds: 2, roundDeadlineSeconds: 30 });
    const coordinator = (q: JobQueue, configHash = 'h1') =>
      new Coordinator({
        task,
        strategy: createStrategy('fedavg', {}),
        queue: q,
        blobs,
        regions: ['r1'],
        schedule,
        taskOptions: {},
        seed: 0,
        logger,
        state,
        configHash,
      });
    const dying = coordinatorQueue(queue, death);
    const first = coordinator(dying);
    await first.start();
    void first.runRound(1);
    while (!first.flowInFlight) await new Promise((resolve) => setImmediate(resolve));

    const living = coordinatorQueue(queue);
    const second = coordinator(living);
    await second.start();
    assert.equal(second.version, 0);
    assert.equal(second.round, 0);
    assert.equal(second.flowInFlight?.flowId, first.flowInFlight.flowId);

    // The edge: moves the model by 1.5 each round.
    const edgeJobs: string[] = [];
    const encoder = new UpdateEncoder({ dtype: 'float32', perRowScale: true, errorFeedback: true });
    const edge = queue.process(regionQueue('r1'), async (job) => {
      const data = job.data as unknown as EdgeRoundJob;
      edgeJobs.push(data.roundId);
      const blobKey = edgeUpdateBlobKey(data.roundId, 'r1');
      const update = { delta: new Map([['w', dense([4], new Float32Array(4).fill(1.5))]]), weight: 2, metrics: { loss: 2 } };
      await blobs.put(blobKey, encoder.encode(update, { roundId: data.roundId, baseVersion: data.version, sender: 'edge' }));
      const participation = {
        selected: 2,
        answered: 2,
        dropped: 0,
        failed: 0,
        rejected: {},
        clipped: {},
        bytesDown: 0,
        bytesUp: 0,
        bytesControl: 0,
        bytesFetched: 0,
      };
      const result: EdgeRoundResult = { blobKey, weight: 2, metrics: { loss: 2, samples: 2 }, participation };
      return result;
    });
    const outcome = await second.runRound(1);
    assert.equal(outcome.resumed, true);
    assert.equal(outcome.version, 1);
    assert.deepEqual(edgeJobs, ['r1-v0'], 'the resumed round ran once: adding its flow again added nothing');
    assert.deepEqual([...second.globalModel.get('w')!.values], [1.5, 1.5, 1.5, 1.5]);
    assert.deepEqual(await state.load(), { configHash: 'h1', version: 1, round: 1 });
    assert.equal(second.roundRecords()[0].round, 1);

    const third = coordinator(living);
    await third.start();
    assert.equal(third.version, 1);
    assert.deepEqual([...third.globalModel.get('w')!.values], [1.5, 1.5, 1.5, 1.5], 'the model comes back from its blob');
    await third.runRound(2);
    assert.deepEqual(edgeJobs, ['r1-v0', 'r2-v1']);
    assert.equal(third.version, 2);
    assert.deepEqual([...third.globalModel.get('w')!.values], [3, 3, 3, 3]);

    await assert.rejects(
      coordinator(living, 'other').start(),
      (error: unknown) => error instanceof ConfigError && /another configuration/.test(error.message),
    );
    await edge.close();
    await queue.close();
  });
}

// A coordinator restarted on the same state store resumes: the same model version, and it waits for the flow
// its predecessor left in flight (adding it again under the same ids adds nothing) instead of a new round. What
// the strategy and the task keep between rounds (FedAdam's moments, a task's cloud-side state) comes back from
// the blobs saved with the version, so the resumed run ends on the uninterrupted run's model bit for bit.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  emptyParticipation,
  ConfigError,
  ServerStateError,
  StrataError,
  UpdateEncoder,
  createStrategy,
  decodeServerState,
  dense,
  encodeServerState,
  serverStateBlobKey,
  edgeUpdateBlobKey,
  parseSchedule,
  regionQueue,
  type EdgeRoundJob,
  type EdgeRoundResult,
  type BlobStore,
  type FederatedTask,
  type JobQueue,
  type ModelUpdate,
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

/** An edge of region r1 on `queue` that answers every edge-round job with the delta `deltaOf(job)` (weight 2). */
function fakeEdge(queue: JobQueue, blobs: BlobStore, deltaOf: (job: EdgeRoundJob) => Float32Array): { close(): Promise<void> } {
  const encoder = new UpdateEncoder({ dtype: 'float32', perRowScale: true, errorFeedback: true, entropy: 'none' });
  return queue.process(regionQueue('r1'), async (job) => {
    const data = job.data as unknown as EdgeRoundJob;
    const blobKey = edgeUpdateBlobKey(data.roundId, 'r1');
    const delta = deltaOf(data);
    const update = { delta: new Map([['w', dense([delta.length], delta)]]), weight: 2, metrics: { loss: 2 } };
    await blobs.put(blobKey, encoder.encode(update, { roundId: data.roundId, baseVersion: data.version, sender: 'edge' }));
    const participation = { ...emptyParticipation(), selected: 2, answered: 2 };
    const result: EdgeRoundResult = { blobKey, weight: 2, metrics: { loss: 2, samples: 2 }, participation };
    return result;
  });
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
    const edge = fakeEdge(queue, blobs, (job) => {
      edgeJobs.push(job.roundId);
      return new Float32Array(4).fill(1.5);
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

/**
 * A task that keeps state at the cloud: beforeApply adds each round's combined change to a running sum and
 * applies the sum instead (a heavy-ball step), so a resumed cloud that lost the sum moves the model differently.
 */
function heavyBallTask(): FederatedTask {
  let sum: Float32Array = new Float32Array(4);
  const layout = { owner: 'test/heavy-ball', layout: 1, lengthOf: (name: string) => (name === 'sum' ? 4 : undefined), required: ['sum'] };
  return {
    ...task,
    id: 'test/heavy-ball',
    beforeApply: (combined: ModelUpdate) => {
      const delta = combined.delta.get('w')!.values;
      for (let i = 0; i < 4; i++) {
        sum[i] = 0.5 * sum[i] + delta[i];
        delta[i] = sum[i];
      }
    },
    serverState: () => encodeServerState(layout.owner, layout.layout, new Map([['sum', sum]])),
    restoreServerState: (bytes) => {
      sum = decodeServerState(bytes, 'the saved state of test/heavy-ball', layout).get('sum')!;
    },
  };
}

test("the strategy's and the task's server state come back with the version: a resumed run ends on the uninterrupted model bit for bit", async () => {
  const schedule = parseSchedule({ rounds: 4, roundDeadlineSeconds: 30 });
  /** Round r's edge delta: a fixed function of r, so that the Adam moments and the task's sum matter. */
  const deltaOf = (job: EdgeRoundJob) => Float32Array.from([1, -0.5, 0.25, 2], (v, i) => v * Math.sin(job.round + i));
  const run = async (
    stores: { queue: InMemoryJobQueue; blobs: InMemoryBlobStore; state: InMemoryStateStore },
    death?: Death,
    statefulTask: FederatedTask = heavyBallTask(),
    strategy = 'fedadam',
  ) => {
    const coordinator = new Coordinator({
      task: statefulTask,
      strategy: createStrategy(strategy, strategy === 'fedadam' ? { eta: 0.05 } : {}),
      queue: coordinatorQueue(stores.queue, death),
      blobs: stores.blobs,
      regions: ['r1'],
      schedule,
      taskOptions: {},
      seed: 0,
      logger,
      state: stores.state,
      configHash: 'h',
    });
    await coordinator.start();
    return coordinator;
  };
  const fresh = () => ({ queue: new InMemoryJobQueue(), blobs: new InMemoryBlobStore(), state: new InMemoryStateStore() });

  const reference = fresh();
  const referenceEdge = fakeEdge(reference.queue, reference.blobs, deltaOf);
  const uninterrupted = await run(reference);
  for (let round = 1; round <= 4; round++) await uninterrupted.runRound(round);
  const expected = uninterrupted.globalModel.get('w')!.values;

  // Rounds 1-2, then a coordinator that dies waiting for round 3's flow; its successor (a fresh strategy and
  // task, as a restarted process has) resumes at version 2 and runs rounds 3-4.
  const stores = fresh();
  const edge = fakeEdge(stores.queue, stores.blobs, deltaOf);
  const first = await run(stores);
  await first.runRound(1);
  await first.runRound(2);
  const dying = await run(stores, 'while-waiting');
  void dying.runRound(3);
  while (!dying.flowInFlight) await new Promise((resolve) => setImmediate(resolve));
  const second = await run(stores);
  assert.equal(second.version, 2);
  assert.equal((await second.runRound(3)).resumed, true);
  await second.runRound(4);
  assert.deepEqual(second.globalModel.get('w')!.values, expected, 'the resumed run ends on the uninterrupted model');
  assert.ok(await stores.blobs.has(serverStateBlobKey(4, 'task')));
  assert.ok(!(await stores.blobs.has(serverStateBlobKey(2, 'strategy'))), 'states two versions old are deleted, as models are');

  // A successor that did not restore the task's state (its sum from zero) ends elsewhere: what the saved state prevents.
  const forgetful = fresh();
  const forgetfulEdge = fakeEdge(forgetful.queue, forgetful.blobs, deltaOf);
  await (await run(forgetful)).runRound(1);
  const withoutRestore = { ...heavyBallTask(), restoreServerState: undefined };
  const third = await run(forgetful, undefined, withoutRestore);
  for (let round = 2; round <= 4; round++) await third.runRound(round);
  assert.notDeepEqual(third.globalModel.get('w')!.values, expected);

  // A missing or corrupt saved state stops the resume, naming it, rather than going on from zero moments.
  const corrupt = (await stores.blobs.get(serverStateBlobKey(4, 'strategy')))!.slice();
  corrupt[40] ^= 1;
  await stores.blobs.put(serverStateBlobKey(4, 'strategy'), corrupt);
  await assert.rejects(
    run(stores),
    (e: unknown) => e instanceof ServerStateError && /^the saved state of strategy fedadam: checksum mismatch/.test(e.message),
  );
  await stores.blobs.delete(serverStateBlobKey(4, 'strategy'));
  await assert.rejects(
    run(stores),
    (e: unknown) =>
      e instanceof StrataError &&
      e.code === 'STRATA_ERR_MISSING_BLOB' &&
      /the strategy's server state strata:server-state:4:strategy of version 4 is missing/.test(e.message),
  );
  // A holder that keeps no state in this configuration does not read a blob an earlier run left (the task's,
  // still there): a stateless strategy and a task whose serverState() is undefined start.
  const keepsNone = { ...heavyBallTask(), serverState: () => undefined, restoreServerState: () => assert.fail('restored') };
  assert.equal((await run(stores, undefined, keepsNone, 'fedavg')).version, 4);
  for (const each of [referenceEdge, edge, forgetfulEdge]) await each.close();
  for (const queue of [reference.queue, stores.queue, forgetful.queue]) await queue.close();
});

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '@strata/shared';
import { BullMqJobQueue, type BullMqJobQueueOptions } from '../src/index.js';
import { deleteRedisKeys, describeJobQueueContract, requireRedis, TEST_REDIS_URL, uniqueRedisPrefix } from '../src/testing/index.js';

// BullMQ adds its own ':' after the prefix.
const prefix = uniqueRedisPrefix('jobs').slice(0, -1);
const options: BullMqJobQueueOptions = { url: TEST_REDIS_URL, prefix, pollIntervalMs: 20 };
const opened: BullMqJobQueue[] = [];
const open = (extra: Partial<BullMqJobQueueOptions> = {}): BullMqJobQueue => {
  const queue = new BullMqJobQueue({ ...options, ...extra });
  opened.push(queue);
  return queue;
};
const unique = (label: string): string => `${label}-${Math.random().toString(36).slice(2, 8)}`;

before(() => requireRedis());
after(async () => {
  for (const queue of opened) await queue.close();
  await deleteRedisKeys(`${prefix}:`);
});

describeJobQueueContract('bullmq', async () => open());

test('a job whose worker dies mid-job is recovered by another worker on the same queue', async () => {
  // Short locks so that the dead worker is noticed in about a second.
  const fast = { lockDurationMs: 800, stalledIntervalMs: 200 };
  const [coordinator, crashingEdge, replicaEdge] = [open(), open(fast), open(fast)];
  const [region, cloud] = [unique('region'), unique('cloud')];
  let started!: () => void;
  const inJob = new Promise<void>((resolve) => (started = resolve));
  const dying = crashingEdge.process(region, () => {
    started();
    return new Promise(() => {}); // the process dies before it answers
  });
  const id = await coordinator.addFlow({ queue: cloud, name: 'cloud-round', data: { round: 1 } }, [
    { queue: region, name: 'edge-round', data: { round: 1 } },
  ]);
  await inJob;
  await dying.close(true); // stops renewing its lock and fetching, as a killed process would
  const attempts: number[] = [];
  replicaEdge.process(region, async (job) => {
    attempts.push(job.attempt);
    return { by: 'replica', round: job.data.round };
  });
  const [outcome] = await coordinator.waitForFlow(id, Date.now() + 20_000);
  assert.equal(outcome.state, 'completed');
  assert.deepEqual(outcome.result, { by: 'replica', round: 1 });
  assert.deepEqual(attempts, [2], 'the recovered run is the second start of the job');
});

test('another process can wait for a flow by its parent id, and an unknown id has no children', async () => {
  const [producer, waiter] = [open(), open()];
  const [region, cloud] = [unique('region'), unique('cloud')];
  producer.process(region, async (job) => ({ seen: job.data.n }));
  const id = await producer.addFlow({ queue: cloud, name: 'cloud-round', data: {} }, [
    { queue: region, name: 'edge-round', data: { n: 3 } },
  ]);
  const [outcome] = await waiter.waitForFlow(id, Date.now() + 10_000);
  assert.deepEqual(outcome, { name: 'edge-round', queue: region, data: { n: 3 }, state: 'completed', result: { seen: 3 } });
  assert.deepEqual(await waiter.waitForFlow(`${cloud}:999999`, Date.now() + 1000), []);
  assert.deepEqual(await waiter.waitForFlow('no-queue-in-this-id', Date.now() + 1000), []);
});

test('queue names with a colon and bad options are refused', async () => {
  assert.throws(() => open().process('region:a', async () => ({})), ConfigError);
  assert.throws(() => new BullMqJobQueue({ prefix: 'x:' }), /must be non-empty and not end with ':'/);
  assert.throws(() => new BullMqJobQueue({ lockDurationMs: 0 }), /lockDurationMs must be an integer >= 1, got 0/);
});

test('a parent whose children have settled is completed, so it expires instead of waiting forever', async () => {
  // A slow poll: the waiter must be woken by the parent's completion, not find out by polling.
  const q = open({ pollIntervalMs: 60_000 });
  const [region, cloud] = [unique('region'), unique('cloud')];
  q.process(region, async () => ({ ok: true }));
  const id = await q.addFlow({ queue: cloud, name: 'cloud-round', data: {} }, [{ queue: region, name: 'edge-round', data: {} }]);
  const started = Date.now();
  const [outcome] = await q.waitForFlow(id, Date.now() + 30_000);
  assert.equal(outcome.state, 'completed');
  assert.ok(Date.now() - started < 15_000, 'woken when the parent completed, long before the deadline');
  const { Queue } = await import('bullmq');
  const parents = new Queue(cloud, { connection: { url: TEST_REDIS_URL }, prefix });
  try {
    const parentState = async (): Promise<string> => parents.getJobState(id.slice(cloud.length + 1));
    for (let i = 0; i < 200 && (await parentState()) !== 'completed'; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(await parentState(), 'completed');
    assert.deepEqual(await q.waitForFlow(id, Date.now() + 1000), [outcome], 'a completed flow can still be read');
  } finally {
    await parents.close();
  }
});

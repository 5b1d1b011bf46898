// Federated Gaussians under serverAdam, stopped after round 29 and started again on the same state and blob
// stores (a new coordinator with a new task, as a restarted process has) end on the uninterrupted run's model
// bit for bit: the cloud's Adam moments, their generations and step count, and the densification statistic
// pooled over rounds 29-30 come back from the state saved with version 29. With the in-memory stores and with
// Redis' (STRATA_TEST_REDIS_URL). Without the saved task state the resumed model differs, so the test can fail.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { cloneModel, modelChecksum, parseRunConfig, type FederatedTask, type ModelParams } from '@strata/shared';
import { InMemoryBlobStore, InMemoryStateStore, RedisBlobStore, RedisStateStore, createLogger } from '@strata/runtime';
import { TEST_REDIS_URL, deleteRedisKeys, requireRedis, uniqueRedisPrefix } from '@strata/runtime/testing';
import { radianceGaussiansTask } from '@strata/tasks';
import { EmbeddedTopology, embeddedTopologyOptions, type EmbeddedTopologyOptions } from '../src/embedded/embedded-topology.js';

const logger = createLogger('test', 'silent');

// 60 planned rounds of 4 images: the stretched schedule densifies every 8 images (every second round, from round
// 10), resets the opacities at round 30 and prunes, clones and splits after it. Stopping after round 29 leaves
// round 29's statistic pooled for round 30's densification, and moments that the reset and new Gaussians change.
const config = parseRunConfig({
  task: 'radiance/gaussians',
  seed: 5,
  topology: { edges: 2, devices: 4 },
  schedule: { rounds: 60, kappa1: 1, evalEvery: 60 },
  downlink: { dtype: 'float32', rowFraction: 1, energy: 1 },
  defences: { clipFactor: 0 },
  taskOptions: {
    procedural: true,
    imageRes: 32,
    devices: 4,
    initialCount: 400,
    capacity: 2000,
    combineChanges: 'serverAdam',
    resetOpacity: true,
  },
});
const STOP_AFTER = 29;
const LAST = 36;

type Stores = NonNullable<EmbeddedTopologyOptions['stores']>;

/** Runs rounds `from`..`to` on a topology started on `stores` (resuming what they hold); returns its final model. */
async function runRounds(task: FederatedTask, stores: Stores, from: number, to: number): Promise<ModelParams> {
  const topology = new EmbeddedTopology(embeddedTopologyOptions(config, task, logger, { stores }));
  await topology.start();
  try {
    assert.equal(topology.coordinator.version, from - 1, `the coordinator starts at version ${from - 1}`);
    for (let round = from; round <= to; round++) await topology.runRound(round);
    return cloneModel(topology.coordinator.globalModel);
  } finally {
    await topology.stop();
  }
}

/** The task without its server-state hooks: a coordinator that neither saves nor restores the cloud's moments. */
function forgetful(task: FederatedTask): FederatedTask {
  return Object.assign(Object.create(task) as FederatedTask, { serverState: undefined, restoreServerState: undefined });
}

/** Each tensor's float bits, so that equal means bit for bit (NaN and -0 included). */
const bits = (model: ModelParams) =>
  [...model].map(([name, t]) => [name, Buffer.from(t.values.buffer, t.values.byteOffset, t.values.byteLength)]);

const memoryStores = (): Stores => ({ state: new InMemoryStateStore(), blobs: new InMemoryBlobStore() });
const redisPrefixes: string[] = [];
const redisStores = (): Stores => {
  const prefix = uniqueRedisPrefix('gaussians-resume');
  redisPrefixes.push(prefix);
  return {
    state: new RedisStateStore({ url: TEST_REDIS_URL, prefix: `${prefix}state:` }),
    blobs: new RedisBlobStore({ url: TEST_REDIS_URL, prefix: `${prefix}blob:` }),
  };
};
after(async () => {
  for (const prefix of redisPrefixes) await deleteRedisKeys(prefix);
});

let uninterrupted: ModelParams | undefined;
async function reference(): Promise<ModelParams> {
  uninterrupted ??= await runRounds(radianceGaussiansTask(config), memoryStores(), 1, LAST);
  return uninterrupted;
}

for (const [name, makeStores] of [
  ['in-memory stores', memoryStores],
  ['Redis stores', redisStores],
] as const) {
  test(`serverAdam stopped after round ${STOP_AFTER} and resumed on the ${name}: round ${LAST}'s model bit for bit`, async () => {
    if (makeStores === redisStores) await requireRedis();
    const expected = await reference();
    const stores = makeStores();
    try {
      await runRounds(radianceGaussiansTask(config), stores, 1, STOP_AFTER);
      const resumed = await runRounds(radianceGaussiansTask(config), stores, STOP_AFTER + 1, LAST);
      assert.equal(modelChecksum(resumed), modelChecksum(expected));
      assert.deepEqual(bits(resumed), bits(expected));
    } finally {
      await stores.state.close();
      await stores.blobs.close();
    }
  });
}

test('resumed without the task state (moments from zero, nothing pooled), the same run ends on another model', async () => {
  const expected = await reference();
  const stores = memoryStores();
  await runRounds(radianceGaussiansTask(config), stores, 1, STOP_AFTER);
  const resumed = await runRounds(forgetful(radianceGaussiansTask(config)), stores, STOP_AFTER + 1, LAST);
  assert.notEqual(modelChecksum(resumed), modelChecksum(expected));
});

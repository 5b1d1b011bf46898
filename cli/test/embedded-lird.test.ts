// Federated LIRD through the embedded runtime (coordinator, edges, in-process network): every user a device
// whose episodes are its own user's, on the first 100 ml-100k users; the evaluated reward stays within the
// task's limits, and the same seed gives the same run.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '@strata/runtime';
import { parseRunConfig } from '@strata/shared';
import { findTask } from '@strata/tasks/registry';
import { firstUsers, LirdTask, loadInteractions, ml100kSource } from '@strata/tasks';
import { runEmbedded } from '../src/embedded/run-embedded.js';

const logger = createLogger('test', 'silent');
const data = firstUsers(loadInteractions(ml100kSource()), 100);
const small = { embeddingEpochs: 10, hidden: 32, episodeLength: 5 };

test('federated LIRD runs through the embedded runtime: every device answers, rewards stay within the limits', async () => {
  const config = parseRunConfig({
    task: 'recsys/lird',
    schedule: { rounds: 3, evalEvery: 1 },
    downlink: { dtype: 'float32', rowFraction: 1 },
  });
  const task = await LirdTask.fromInteractions(data, { ...small, seed: config.seed });
  const record = await runEmbedded(config, task, logger);
  assert.equal(record.rounds.length, 3);
  const [low, high] = task.limits(1).metricRanges.reward;
  for (const round of record.rounds) {
    assert.equal(round.participation && (round.participation as { answered: number }).answered, 100);
    const reward = round.metrics.reward;
    assert.ok(reward > low && reward < high && reward !== 0, `round ${round.round} reward ${reward}`);
  }
  assert.ok(record.rounds[0].bytes.deviceEdge > 0);
  assert.equal(record.final.metrics.reward, record.rounds[2].metrics.reward);
});

test('the registry builds recsys/lird from a run configuration; the same seed gives the same rounds', async () => {
  const entry = findTask('recsys/lird');
  assert.deepEqual(entry.headlineMetrics, ['reward']);
  const config = parseRunConfig({
    task: 'recsys/lird',
    topology: { edges: 2, devices: 30 },
    schedule: { rounds: 2 },
    seed: 4,
    taskOptions: small,
    downlink: { dtype: 'float32', rowFraction: 1 },
  });
  const run = async () => runEmbedded(config, await LirdTask.fromInteractions(data, { ...small, seed: 4 }), logger);
  const [a, b] = [await run(), await run()];
  assert.deepEqual(
    a.rounds.map((r) => r.metrics),
    b.rounds.map((r) => r.metrics),
  );
  await assert.rejects(entry.create({ ...config, taskOptions: { listSize: 0 } }), /task recsys\/lird: option "listSize"/);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CentralizedBprTrainer,
  evaluateRanking,
  loadInteractions,
  ml100kSource,
  Popularity,
  splitPerUser,
  type BprEpochProgress,
} from '../src/recsys/index.js';

const split = splitPerUser(loadInteractions(ml100kSource()), { seed: 0 });
const popularity = evaluateRanking(split, new Popularity(split).scoreUser)['recall@20'];

test('centralized BPR-MF (in-thread, 10 epochs) beats popularity on ml-100k by a wide margin, deterministically', async () => {
  const progress: BprEpochProgress[] = [];
  const model = await new CentralizedBprTrainer(split, { threads: 1, epochs: 10 }).train((p) => progress.push(p));
  const recall = evaluateRanking(split, model.scoreUser)['recall@20'];
  assert.ok(recall > 0.29 && recall < 0.36, `recall@20 = ${recall} (popularity ${popularity})`);
  assert.ok(recall > popularity + 0.1);
  assert.deepEqual(
    progress.map((p) => p.epoch),
    [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
  );
  assert.ok(progress.every((p) => p.triples === 80000 && p.triplesPerSecond > 0));
  assert.ok(progress[9].loss < progress[0].loss * 0.8, `loss ${progress[0].loss} -> ${progress[9].loss}`);
  // The last epoch always evaluates, so a CLI can print the final figures.
  assert.equal(progress[9].metrics?.['recall@20'], recall);
  assert.equal(progress[0].metrics, undefined);

  const again = await new CentralizedBprTrainer(split, { threads: 1, epochs: 10 }).train();
  assert.deepEqual(again.items, model.items);
});

test('centralized BPR-MF over 2 worker_threads (Hogwild) trains the shared tables', async () => {
  const progress: BprEpochProgress[] = [];
  const model = await new CentralizedBprTrainer(split, { threads: 2, epochs: 6, evaluateEvery: 3 }).train((p) => progress.push(p));
  const recall = evaluateRanking(split, model.scoreUser)['recall@20'];
  assert.ok(recall > 0.27, `recall@20 = ${recall}`);
  assert.ok(progress.every((p) => p.triples === 80000));
  assert.ok(progress[2].metrics !== undefined && progress[1].metrics === undefined);
});

test('centralized options are validated', () => {
  assert.throws(() => new CentralizedBprTrainer(split, { threads: 0 }), /threads must be an integer >= 1, got 0/);
  assert.throws(
    () => new CentralizedBprTrainer(split, { optimizer: 'adam' as never }),
    /optimizer must be one of sgd, rowwise-adagrad, got "adam"/,
  );
  assert.throws(() => new CentralizedBprTrainer(split, { learningRate: -1 }), /learningRate must be > 0, got -1/);
});

// Asynchronous schedules on the virtual clock: FedBuff on devices ten times apart in speed, some on a duty
// cycle. Same seed, same run; the records carry each round's staleness; a tight staleness bound refuses
// the slow devices' updates and counts them; a run stops at the first evaluation that reaches a target.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '@strata/runtime';
import { parseTopology } from '../src/load-topology.js';
import { createSimulationTask } from '../src/simulation-task.js';
import { Simulation, type SimulatedRunRecord } from '../src/simulation.js';

const logger = createLogger('test', 'silent');

function spec(schedule: Record<string, unknown>): Record<string, unknown> {
  return {
    name: 'mixed-speeds',
    seed: 5,
    task: { data: { synthetic: { items: 120, communities: 4 } }, options: { dim: 16 } },
    schedule: { rounds: 6, kappa2: 4, edgeDeadlineSeconds: 600, roundDeadlineSeconds: 3600, evalEvery: 2, ...schedule },
    simulation: { referenceSecondsPerSample: 0.01 },
    links: { home: { latencyMs: 10, upMbps: 20, downMbps: 100 } },
    regions: { cloud: {} },
    cloud: { region: 'cloud' },
    edges: [{ id: 'edge', region: 'cloud' }],
    devices: [
      { group: 'fast', edge: 'edge', count: 24, link: 'home', compute: { speed: 2 } },
      {
        group: 'slow',
        edge: 'edge',
        count: 24,
        link: 'home',
        compute: { speed: 0.2 },
        availability: { kind: 'duty-cycle', onSeconds: 120, offSeconds: 120 },
      },
    ],
  };
}

async function simulate(schedule: Record<string, unknown>, stopAt?: number): Promise<SimulatedRunRecord> {
  const loaded = parseTopology(spec(schedule), { baseDir: '.' });
  const { task } = await createSimulationTask(loaded.topology);
  const stopWhen = stopAt === undefined ? undefined : (metrics: Readonly<Record<string, number>>) => (metrics['recall@20'] ?? 0) >= stopAt;
  return new Simulation({ loaded, task, logger, ...(stopWhen ? { stopWhen } : {}) }).run();
}

const rounds = (record: SimulatedRunRecord) =>
  record.rounds.map(({ wallSeconds, ...rest }) => ({
    ...rest,
    participation: rest.participation as Record<string, unknown>,
    staleness: rest.staleness as { updates: number; mean: number; max: number },
  }));

test('FedBuff on mixed speeds: the same seed gives the same run, and every round records its staleness', async () => {
  const fedbuff = { mode: 'fedbuff', bufferSize: 6, maxStaleness: 30, fraction: 0.5 };
  const [first, again, sync] = [await simulate(fedbuff), await simulate(fedbuff), await simulate({})];
  assert.deepEqual(rounds(first), rounds(again));
  for (const round of rounds(first)) {
    const { staleness } = round;
    assert.equal(staleness.updates, round.participation.answered);
    assert.ok(staleness.max <= 30);
    assert.equal(round.participation.edgeSteps, 4);
  }
  const recall = (r: SimulatedRunRecord) => r.final.metrics['recall@20'];
  assert.ok(recall(first) > 0.6 * recall(sync), `fedbuff recall@20 ${recall(first)}, sync ${recall(sync)}`);
  // Sync waits for the slow devices every round; FedBuff's rounds need only 24 updates each.
  assert.ok(first.final.simSeconds < sync.final.simSeconds, `fedbuff ${first.final.simSeconds} s, sync ${sync.final.simSeconds} s`);
});

test('a staleness bound of 0 refuses the slow devices’ updates, counted as too_stale in the round records', async () => {
  const record = await simulate({ mode: 'fedbuff', bufferSize: 6, maxStaleness: 0, fraction: 1, rounds: 3 });
  const refused = record.rounds.reduce(
    (n, r) => n + (((r.participation as { rejected: Record<string, number> }).rejected.too_stale as number) ?? 0),
    0,
  );
  assert.ok(refused > 0, 'some updates were too stale');
  for (const round of record.rounds) assert.equal((round.staleness as { max: number }).max, 0);
});

test('stopWhen ends a run at the first evaluation that reaches the target', async () => {
  const record = await simulate({ mode: 'fedbuff', bufferSize: 6, fraction: 0.5, rounds: 20 }, 0.01);
  assert.equal(record.final.stoppedEarly, 2, 'the first evaluation (round 2) reaches a recall of 0.01');
  assert.equal(record.rounds.length, 2);
});

test('while some duty-cycled users have never been online, evaluation also reports the users that have', async () => {
  // The slow half is online 120 s of every 240 s from a random phase, so at the first evaluation some have
  // never connected: their private embeddings are untrained, and the all-users recall counts them.
  const record = await simulate({ mode: 'fedbuff', bufferSize: 6, fraction: 0.5, rounds: 2, evalEvery: 1 });
  const first = record.rounds[0].metrics;
  assert.ok((first.unseenUsers ?? 0) > 0 && (first.unseenUsers ?? 0) < 24, `unseen users ${first.unseenUsers}`);
  const all = first['recall@20'];
  const seen = first['seen:recall@20'];
  assert.ok(seen !== undefined && all !== undefined && seen > all, `seen users' recall@20 ${seen}, all users' ${all}`);
  // With every device always online no user is unseen, and no seen: metric is added.
  const always = spec({ rounds: 1 });
  for (const group of always.devices as Record<string, unknown>[]) delete group.availability;
  const loaded = parseTopology(always, { baseDir: '.' });
  const { task } = await createSimulationTask(loaded.topology);
  const metrics = (await new Simulation({ loaded, task, logger }).run()).final.metrics;
  assert.equal(metrics.unseenUsers, undefined);
  assert.equal(metrics['seen:recall@20'], undefined);
  assert.ok((metrics['recall@20'] ?? 0) > 0);
});

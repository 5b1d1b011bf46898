// An asynchronous cloud on the virtual clock: two regions, one behind a slow backhaul. With a FedBuff cloud
// (a step per edge result) the fast region does not wait for the slow one's transfers: the same seed gives
// the same run, every round records the staleness of the edge result it took, and as many edge rounds end
// sooner in simulated time than under a synchronous cloud, in the same accuracy band.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '@strata/runtime';
import { parseTopology } from '../src/load-topology.js';
import { createSimulationTask } from '../src/simulation-task.js';
import { Simulation, type SimulatedRunRecord } from '../src/simulation.js';

const logger = createLogger('test', 'silent');

function spec(schedule: Record<string, unknown>): Record<string, unknown> {
  return {
    name: 'uneven-backhaul',
    seed: 3,
    task: { data: { synthetic: { items: 200, communities: 4 } }, options: { dim: 16 } },
    schedule: { kappa2: 2, edgeDeadlineSeconds: 600, roundDeadlineSeconds: 3600, evalEvery: 0, ...schedule },
    simulation: { referenceSecondsPerSample: 0.001 },
    links: {
      home: { latencyMs: 5, upMbps: 50, downMbps: 100 },
      fast: { latencyMs: 10, upMbps: 100, downMbps: 100 },
      slow: { latencyMs: 150, upMbps: 2, downMbps: 2 },
    },
    regions: { cloud: {}, near: { backhaul: 'fast' }, far: { backhaul: 'slow' } },
    cloud: { region: 'cloud' },
    edges: [
      { id: 'edge-near', region: 'near' },
      { id: 'edge-far', region: 'far' },
    ],
    devices: [
      { group: 'near-homes', edge: 'edge-near', count: 20, link: 'home' },
      { group: 'far-homes', edge: 'edge-far', count: 20, link: 'home' },
    ],
  };
}

async function simulate(schedule: Record<string, unknown>): Promise<SimulatedRunRecord> {
  const loaded = parseTopology(spec(schedule), { baseDir: '.' });
  const { task } = await createSimulationTask(loaded.topology);
  return new Simulation({ loaded, task, logger }).run();
}

const withoutWallTime = (record: SimulatedRunRecord) => record.rounds.map(({ wallSeconds, ...rest }) => rest);

test('a FedBuff cloud over a slow backhaul: deterministic, cloud staleness recorded, sooner than a synchronous cloud', async () => {
  // 6 synchronous cloud rounds of 2 edge results, or 12 cloud steps of one.
  const cloud = { rounds: 12, cloud: { mode: 'fedbuff', bufferSize: 1, maxStaleness: 8 } };
  const [first, again, sync] = [await simulate(cloud), await simulate(cloud), await simulate({ rounds: 6 })];
  assert.deepEqual(withoutWallTime(first), withoutWallTime(again), 'the same seed gives the same run');
  let stale = 0;
  first.rounds.forEach((round, i) => {
    assert.equal(round.version, i + 1);
    const cloudStaleness = round.cloudStaleness as { updates: number; max: number };
    assert.equal(cloudStaleness.updates, 1);
    assert.ok(cloudStaleness.max <= 8);
    stale += cloudStaleness.max;
  });
  assert.ok(stale > 0, 'the far region answers for older versions while the near one steps');
  const recall = (r: SimulatedRunRecord) => r.final.metrics['recall@20'];
  process.stdout.write(
    `# recall@20 sync cloud ${recall(sync).toFixed(4)} at ${sync.final.simSeconds.toFixed(1)} s, ` +
      `fedbuff cloud ${recall(first).toFixed(4)} at ${first.final.simSeconds.toFixed(1)} s\n`,
  );
  assert.ok(recall(first) > 0.8 * recall(sync), `fedbuff cloud recall@20 ${recall(first)}, sync ${recall(sync)}`);
  assert.ok(first.final.simSeconds < sync.final.simSeconds, `fedbuff ${first.final.simSeconds} s, sync ${sync.final.simSeconds} s`);
});

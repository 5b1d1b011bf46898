// Whole simulations of small topologies on synthetic data: the real tiers on the virtual clock. Same seed,
// same result; link speeds change time, not learning; stragglers are dropped; devices come and go; the flat
// layout crosses the cloud link; and the hierarchy beats the flat baseline on a slow backhaul (HierFAVG).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '@strata/runtime';
import { RdpAccountant, type ModelParams } from '@strata/shared';
import { parseTopology } from '../src/load-topology.js';
import { compareRuns, defaultTarget } from '../src/run-comparison.js';
import { createSimulationTask } from '../src/simulation-task.js';
import { Simulation, type SimulatedRunRecord } from '../src/simulation.js';

const logger = createLogger('test', 'silent');
/** A topology as written in a file; untyped so that tests can reshape it freely before validation. */
// biome-ignore lint/suspicious/noExplicitAny: tests write topologies of any shape, valid or not
type Spec = Record<string, any>;

/** Two towns with an edge each behind a backhaul; `groups` devices per town. */
function town(overrides: (t: Spec) => void = () => {}): Spec {
  const topology: Spec = {
    name: 'towns',
    seed: 3,
    task: { data: { synthetic: { items: 150, communities: 4 } }, options: { dim: 16 } },
    schedule: { rounds: 3, kappa2: 2, edgeDeadlineSeconds: 600, roundDeadlineSeconds: 3600, evalEvery: 1 },
    links: {
      home: { latencyMs: 10, jitterMs: 2, upMbps: 10, downMbps: 50, loss: 0.001 },
      backhaul: { latencyMs: 40, jitterMs: 4, upMbps: 20, downMbps: 20 },
    },
    regions: { cloud: {}, east: { backhaul: 'backhaul' }, west: { backhaul: 'backhaul' } },
    cloud: { region: 'cloud' },
    edges: [
      { id: 'edge-east', region: 'east' },
      { id: 'edge-west', region: 'west' },
    ],
    devices: [
      { group: 'east-homes', edge: 'edge-east', count: 30, link: 'home', compute: { speed: 1, jitter: 0.3 }, data: { skew: 0.5 } },
      { group: 'west-homes', edge: 'edge-west', count: 30, link: 'home', compute: { speed: 1, jitter: 0.3 }, data: { skew: 0.5 } },
    ],
  };
  overrides(topology);
  return topology;
}

async function simulate(spec: Spec): Promise<SimulatedRunRecord> {
  return (await simulateWithModel(spec)).record;
}

/** A run's record and its final global model. */
async function simulateWithModel(spec: Spec): Promise<{ record: SimulatedRunRecord; model: ModelParams }> {
  const loaded = parseTopology(spec, { baseDir: '.' });
  const { task, baselines } = await createSimulationTask(loaded.topology);
  const simulation = new Simulation({ loaded, task, logger, baselines });
  const record = await simulation.run();
  return { record, model: simulation.globalModel };
}

/** What a run computed, without what depends on the machine (wall time, ids, heap). */
function outcome(record: SimulatedRunRecord) {
  const { final } = record;
  return {
    rounds: record.rounds.map(({ wallSeconds, ...rest }) => rest),
    final: { metrics: final.metrics, simSeconds: final.simSeconds, bytes: final.bytes, timeline: final.timeline },
  };
}

const participation = (record: SimulatedRunRecord) => record.rounds.map((r) => r.participation as Record<string, number>);

test('the same seed and topology give identical results; another seed does not', async () => {
  const a = await simulate(town());
  const b = await simulate(town());
  assert.deepEqual(outcome(a), outcome(b));
  assert.equal(a.mode, 'simulated');
  assert.ok(a.final.simSeconds > 0 && a.final.metrics['recall@20'] > 0);
  const c = await simulate(town((t) => (t.seed = 4)));
  assert.notDeepEqual(outcome(c).final, outcome(a).final);
});

test('link speeds change how long a run takes, not what it learns', async () => {
  const fast = await simulate(town());
  const slowBackhaul = await simulate(town((t) => (t.links.backhaul = { latencyMs: 200, upMbps: 0.5, downMbps: 0.5 })));
  const slowHomes = await simulate(town((t) => (t.links.home = { ...t.links.home, upMbps: 0.2, downMbps: 0.5 })));
  for (const slow of [slowBackhaul, slowHomes]) {
    assert.deepEqual(
      slow.rounds.map((r) => r.metrics),
      fast.rounds.map((r) => r.metrics),
    );
    assert.deepEqual(slow.final.bytes, fast.final.bytes);
    assert.ok(slow.final.simSeconds > fast.final.simSeconds * 1.5, `${slow.final.simSeconds} s vs ${fast.final.simSeconds} s`);
  }
  // The backhaul carries the model down and the edge update up: about 150 items × 16 floats each way.
  const backhaulSeconds = slowBackhaul.final.simSeconds - fast.final.simSeconds;
  assert.ok(backhaulSeconds > (3 * 2 * (150 * 16 * 4 * 8)) / 0.5e6, `a slow backhaul cost only ${backhaulSeconds} s`);
});

test('slow devices beyond the quorum are dropped as stragglers, and rounds go on without them', async () => {
  const record = await simulate(
    town((t) => {
      t.schedule.quorum = 0.5;
      t.devices.push({ group: 'east-old-phones', edge: 'edge-east', count: 20, link: 'home', compute: { speed: 0.001 } });
    }),
  );
  for (const p of participation(record)) {
    assert.equal(p.selected, 160, '80 devices × κ2 = 2');
    assert.ok(p.dropped >= 40, `only ${p.dropped} dropped: the 20 old phones should miss both iterations`);
    assert.equal(p.answered + p.dropped + p.failed, p.selected);
  }
  assert.ok(record.final.metrics['recall@20'] > 0);
});

test('devices on a duty cycle join and leave; only those online are asked', async () => {
  const record = await simulate(
    town((t) => {
      for (const group of t.devices) group.availability = { kind: 'duty-cycle', onSeconds: 300, offSeconds: 300 };
      t.simulation = { roundIntervalSeconds: 120 };
      t.schedule.rounds = 6;
    }),
  );
  const online = record.rounds.map((r) => (r.participation as Record<string, number>).online);
  assert.ok(
    online.every((n) => n > 5 && n < 55),
    `online per round: ${online}`,
  );
  assert.ok(new Set(online).size > 1, 'who is online changes over time');
  assert.ok(participation(record).every((p) => p.selected <= 2 * 60 && p.selected < 110));
  const { timeline } = record.final;
  const mean = timeline.online.reduce((a, b) => a + b, 0) / timeline.online.length;
  assert.ok(mean > 15 && mean < 45, `mean online ${mean}: about half of 60`);
  assert.ok(record.final.simSeconds >= 5 * 120);
});

test("HierFAVG on a slow backhaul: the hierarchy reaches the flat baseline's final recall sooner, with fewer cloud-link bytes", async () => {
  const slow = (t: Spec): void => {
    t.links.backhaul = { latencyMs: 40, jitterMs: 5, upMbps: 2, downMbps: 2 };
  };
  const hierarchical = await simulate(
    town((t) => {
      slow(t);
      t.schedule = { ...t.schedule, rounds: 6, kappa2: 3 };
    }),
  );
  const flat = await simulate(
    town((t) => {
      slow(t);
      t.schedule = { ...t.schedule, rounds: 12, kappa2: 1 };
      t.edges = [{ id: 'cloud', region: 'cloud' }];
      t.devices[0] = { ...t.devices[0], edge: 'cloud', region: 'east' };
      t.devices[1] = { ...t.devices[1], edge: 'cloud', region: 'west' };
    }),
  );
  assert.equal(flat.final.bytes.deviceEdge, 0);
  assert.equal(flat.final.bytes.edgeCloud, 0);
  assert.ok(flat.final.bytes.deviceCloud > 0, 'flat: every device talks to the cloud');
  assert.equal(hierarchical.final.bytes.deviceCloud, 0);
  const target = defaultTarget([flat], 'recall@20')!;
  const [hier, base] = compareRuns([hierarchical, flat], 'recall@20', target);
  assert.ok(hier.reached, `the hierarchy never reached the flat baseline's final recall ${target} (its final ${hier.final})`);
  assert.ok(
    hier.reached.simSeconds! < base.reached!.simSeconds!,
    `hierarchy ${hier.reached.simSeconds} s, flat ${base.reached!.simSeconds} s`,
  );
  assert.ok(
    hier.reached.cloudLinkBytes * 5 < base.reached!.cloudLinkBytes,
    `hierarchy ${hier.reached.cloudLinkBytes} B, flat ${base.reached!.cloudLinkBytes} B`,
  );
});

test('central DP in the simulator: ε per round as the accountant composes it, the same noise for the same seed, a target ε stops the run', async () => {
  const privateTown = (privacy: Spec) =>
    town((t) => {
      t.schedule = { ...t.schedule, rounds: 3, kappa2: 1, fraction: 0.5 };
      t.privacy = { mode: 'central', clipNorm: 0.5, noiseMultiplier: 1.2, ...privacy };
    });
  const a = await simulate(privateTown({}));
  const b = await simulate(privateTown({}));
  assert.deepEqual(outcome(a), outcome(b));
  const rates = a.rounds.map((r) => (r.privacy as { samplingRate: number }).samplingRate);
  assert.deepEqual(rates, [0.5, 0.5, 0.5]);
  const expected = a.rounds.map((_, i) => new RdpAccountant().composeSubsampledGaussian(0.5, 1.2, i + 1).epsilon(1e-5));
  a.rounds.forEach((r, i) =>
    assert.ok(Math.abs(Number(r.epsilon) - expected[i]) < 1e-9 * expected[i], `round ${i + 1}: ε ${r.epsilon} ≠ ${expected[i]}`),
  );
  assert.ok(expected[0] < expected[1] && expected[1] < expected[2]);
  assert.equal(a.final.epsilon, a.rounds[2].epsilon);
  assert.equal(a.final.delta, 1e-5);
  assert.ok(a.final.metrics['recall@20'] > 0);
  // Noise changes the model: DP with σ = 0 would not, so a different σ must give a different run.
  const louder = await simulate(privateTown({ noiseMultiplier: 5 }));
  assert.notDeepEqual(louder.final.metrics, a.final.metrics);

  const stopped = await simulate(privateTown({ targetEpsilon: (expected[0] + expected[1]) / 2 }));
  assert.equal(stopped.rounds.length, 1);
  assert.match(String(stopped.final.stopped), /privacy target/);
  assert.equal(stopped.final.epsilon, a.rounds[0].epsilon);
  assert.ok(stopped.final.metrics['recall@20'] > 0);
});

test('a topology with DP and κ2 > 1 is refused, naming the field', () => {
  assert.throws(
    () =>
      parseTopology(
        town((t) => (t.privacy = { mode: 'central' })),
        { baseDir: '.' },
      ),
    (error: Error) => /privacy\.mode/.test(error.message) && /kappa2 = 1/.test(error.message),
  );
});

test("a topology sets the edges' downlink, so a graph task that needs it lossless runs in the simulator", async () => {
  const graph = (downlink?: Spec) =>
    town((t) => {
      t.task = { name: 'recsys/lightgcn' };
      if (downlink) t.downlink = downlink;
    });
  await assert.rejects(createSimulationTask(parseTopology(graph(), { baseDir: '.' }).topology), /needs a lossless downlink/);
  const loaded = parseTopology(graph({ dtype: 'float32', rowFraction: 1 }), { baseDir: '.' });
  assert.deepEqual([loaded.topology.downlink.dtype, loaded.topology.downlink.rowFraction], ['float32', 1]);
  const { task } = await createSimulationTask(loaded.topology);
  assert.equal(task.id, 'recsys/lightgcn');
  await task.close?.();
});

test('secure aggregation in the simulator: the same seed gives the same run with it on and off, within the fixed-point bound', async () => {
  const secureTown = (enabled: boolean) =>
    town((t) => {
      t.schedule = { ...t.schedule, rounds: 2, kappa2: 1, fraction: 0.5 };
      t.defences = { clipFactor: 0, updateClipFactor: 0 };
      t.secureAggregation = { enabled };
    });
  const { record: plain, model: plainModel } = await simulateWithModel(secureTown(false));
  const { record: secure, model: secureModel } = await simulateWithModel(secureTown(true));
  // The same model within the fixed-point bound: float32 rounding of the decoded sums, far below what training moved.
  let largest = 0;
  let scale = 0;
  for (const [name, tensor] of plainModel) {
    const other = secureModel.get(name)!.values;
    for (let i = 0; i < tensor.values.length; i++) {
      largest = Math.max(largest, Math.abs(tensor.values[i] - other[i]));
      scale = Math.max(scale, Math.abs(tensor.values[i]));
    }
  }
  assert.ok(largest < 1e-5 && largest < scale / 1000, `largest model difference ${largest} (largest value ${scale})`);
  process.stdout.write(`# simulator, secure vs plain: largest model difference ${largest.toExponential(2)}\n`);
  for (const [name, value] of Object.entries(plain.final.metrics)) {
    assert.ok(Math.abs(secure.final.metrics[name] - value) < 1e-4, `${name}: secure ${secure.final.metrics[name]}, plain ${value}`);
  }
  participation(secure).forEach((p, i) => {
    assert.equal(p.answered, participation(plain)[i].answered);
    assert.equal(p.secAggAborted ?? 0, 0);
  });
  assert.throws(
    () =>
      parseTopology(
        town((t) => {
          t.secureAggregation = { enabled: true };
          t.edgeStrategy = { name: 'median' };
        }),
        { baseDir: '.' },
      ),
    /secureAggregation\.enabled.*edge strategy median/s,
  );
});

// The targeted item-promotion attack: the poisoned row it sends, its success metric over honest users only,
// and a whole simulation where 5% attackers under FedAvg without clipping put an item into about half the honest
// users' top 20, against about a tenth without them.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '@strata/runtime';
import type { DeviceTrainer, ModelParams, SparseRows } from '@strata/shared';
import { anchorCentroid, promoteItem, targetHitRate } from '../src/item-promotion.js';
import { parseTopology } from '../src/load-topology.js';
import { createSimulationTask } from '../src/simulation-task.js';
import { Simulation, type SimulatedRunRecord } from '../src/simulation.js';

const table = (values: number[][]): ModelParams =>
  new Map([
    ['item_embedding', { kind: 'dense' as const, shape: [values.length, values[0].length], values: Float32Array.from(values.flat()) }],
  ]);

test('the centroid is over the anchor rows, the target left out', () => {
  const model = table([
    [10, 0],
    [0, 1],
    [0, 4],
    [2, 2],
  ]);
  const spec = { tensor: 'item_embedding', targetItem: 0, anchors: Int32Array.of(0, 2, 3), strength: 1 };
  assert.deepEqual([...anchorCentroid(model.get('item_embedding')!.values, 2, spec)], [1, 3]);
});

test('promote-item inserts the target row in order with a claimed row weight, or replaces it', () => {
  const model = table([
    [0, 0],
    [1, 1],
    [0, 0],
    [3, 3],
  ]);
  const honest: SparseRows = {
    kind: 'sparse',
    shape: [4, 2],
    rows: Uint32Array.of(1, 3),
    values: Float32Array.of(0.1, 0.1, 0.3, 0.3),
    rowWeights: Float32Array.of(2, 5),
  };
  const spec = { tensor: 'item_embedding', targetItem: 2, anchors: Int32Array.of(3), strength: 10 };
  const inserted = promoteItem(model, new Map([['item_embedding', honest]]), spec).get('item_embedding') as SparseRows;
  assert.deepEqual([...inserted.rows], [1, 2, 3]);
  // The row asked for is 10 × the anchor row (3, 3); the target's row is 0, so the delta is (30, 30).
  assert.deepEqual([...inserted.values], [0.1, 0.1, 30, 30, 0.3, 0.3].map(Math.fround));
  assert.deepEqual([...inserted.rowWeights!], [2, 5, 5]);
  const replaced = promoteItem(model, new Map([['item_embedding', honest]]), { ...spec, targetItem: 1 }).get(
    'item_embedding',
  ) as SparseRows;
  assert.deepEqual([...replaced.rows], [1, 3]);
  assert.deepEqual([...replaced.values], [29, 29, 0.3, 0.3].map(Math.fround));
  const alone = promoteItem(model, new Map(), spec).get('item_embedding') as SparseRows;
  assert.deepEqual([...alone.rows], [2]);
  assert.throws(() => promoteItem(model, new Map(), { ...spec, targetItem: 4 }), /targetItem 4 is out of range/);
  assert.throws(() => promoteItem(model, new Map(), { ...spec, tensor: 'nope' }), /"nope"/);
});

test('the hit rate counts the devices that rank, over those', async () => {
  const ranking = (items: number[]): DeviceTrainer => ({
    numSamples: 1,
    train: () => Promise.reject(new Error('not used')),
    topK: async (_model, k) => Int32Array.from(items.slice(0, k)),
  });
  const unranked: DeviceTrainer = { numSamples: 1, train: () => Promise.reject(new Error('not used')) };
  const devices = [ranking([7, 1]), ranking([1, 2]), ranking([3, 4, 7]), unranked];
  assert.equal(await targetHitRate(devices, new Map(), 7, 2), 1 / 3);
  assert.equal(await targetHitRate(devices, new Map(), 7, 3), 2 / 3);
  assert.ok(Number.isNaN(await targetHitRate([unranked], new Map(), 7, 2)));
});

const TARGET = 149;

async function promotion(fraction: number): Promise<SimulatedRunRecord> {
  const spec = {
    name: 'promotion',
    seed: 5,
    task: { data: { synthetic: { items: 150, communities: 4 } }, options: { dim: 16 } },
    schedule: { rounds: 4, kappa2: 1, edgeDeadlineSeconds: 600, roundDeadlineSeconds: 3600, evalEvery: 0 },
    edgeStrategy: { name: 'fedavg', options: {} },
    defences: { clipFactor: 0, updateClipFactor: 0 },
    adversary: { fraction, attack: 'promote-item', targetItem: TARGET, strength: 10 },
    links: { lan: { latencyMs: 1, upMbps: 1000, downMbps: 1000 } },
    regions: { cloud: {} },
    cloud: { region: 'cloud' },
    edges: [{ id: 'edge', region: 'cloud', link: 'lan' }],
    devices: [{ group: 'homes', edge: 'edge', count: 60, link: 'lan' }],
  };
  const loaded = parseTopology(spec, { baseDir: '.' });
  const { task } = await createSimulationTask(loaded.topology);
  return new Simulation({ loaded, task, logger: createLogger('test', 'silent') }).run();
}

test('5% promote-item attackers put the target into far more honest top-20s under FedAvg without clipping', async () => {
  const clean = (await promotion(0)).final.adversary as Record<string, number>;
  const attacked = (await promotion(0.05)).final.adversary as Record<string, number | string>;
  assert.equal(clean.attackers, 0);
  assert.ok(clean['targetHitRate@20'] < 0.2, `no attack: ${clean['targetHitRate@20']}`);
  assert.equal(attacked.attack, 'promote-item');
  assert.equal(attacked.targetItem, TARGET);
  assert.equal(attacked.attackers, 3);
  const hitRate = attacked['targetHitRate@20'] as number;
  assert.ok(hitRate > 0.4 && hitRate > clean['targetHitRate@20'] + 0.25, `under attack: ${hitRate}`);
  // Over the 57 honest users only: a whole number of them.
  assert.ok(Math.abs(hitRate * 57 - Math.round(hitRate * 57)) < 1e-9, `hit rate ${hitRate} is not over 57 users`);
});

test('promote-item without a target item is refused', () => {
  assert.throws(
    () =>
      parseTopology(
        {
          name: 'x',
          task: { data: { synthetic: { items: 20 } } },
          adversary: { fraction: 0.1, attack: 'promote-item' },
          links: { lan: { latencyMs: 1, upMbps: 10, downMbps: 10 } },
          regions: { cloud: {} },
          cloud: { region: 'cloud' },
          edges: [{ id: 'edge', region: 'cloud', link: 'lan' }],
          devices: [{ group: 'g', edge: 'edge', count: 4, link: 'lan' }],
        },
        { baseDir: '.' },
      ),
    /targetItem/,
  );
});

// Real-network mode end to end: a topology launched as real daemons (redis-server, edges, device processes,
// the coordinator) on loopback, every link behind a shaping proxy; the run record is the coordinator's, with
// how links were shaped and the bytes each tier carried on the wire.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { STRATA_BIN } from '@strata/cli';
import { createSimulationTask, parseTopology, runOnRealNetwork } from '@strata/simulator';

test('a topology runs as real daemons with shaped links and yields a comparable run record', { timeout: 180_000 }, async () => {
  const loaded = parseTopology(
    {
      name: 'loopback',
      task: { data: { synthetic: { items: 120, communities: 2 } }, options: { dim: 8 } },
      schedule: { rounds: 2, kappa2: 2, edgeDeadlineSeconds: 60, roundDeadlineSeconds: 120, evalEvery: 2 },
      links: {
        home: { latencyMs: 5, jitterMs: 1, upMbps: 20, downMbps: 50, loss: 0.001 },
        backhaul: { latencyMs: 20, upMbps: 10, downMbps: 10 },
      },
      regions: { cloud: {}, town: { backhaul: 'backhaul' } },
      cloud: { region: 'cloud' },
      edges: [{ id: 'edge-town', region: 'town' }],
      devices: [
        { group: 'homes', edge: 'edge-town', count: 4, link: 'home' },
        {
          group: 'phones',
          edge: 'edge-town',
          count: 3,
          link: 'home',
          compute: { speed: 0.5 },
          availability: { kind: 'duty-cycle', onSeconds: 60, offSeconds: 60 },
        },
      ],
    },
    { baseDir: '.' },
  );
  const { task } = await createSimulationTask(loaded.topology);
  const record = await runOnRealNetwork({
    loaded,
    task,
    workDir: mkdtempSync(join(tmpdir(), 'strata-real-test-')),
    timeoutSeconds: 150,
    strataBin: STRATA_BIN,
  });

  assert.equal(record.mode, 'distributed');
  assert.equal(record.rounds.length, 2);
  assert.ok(
    record.rounds.every((r, i) => typeof r.simSeconds === 'number' && (i === 0 || r.simSeconds > record.rounds[i - 1].simSeconds!)),
  );
  assert.ok(record.final.metrics['recall@20'] > 0);
  const participation = record.rounds[0].participation as { answered: number };
  assert.equal(participation.answered, 14, '7 devices × κ2 = 2');
  const shaping = record.config.linkShaping as { mode: string; proxies: { tier: string }[]; notes: string[] };
  assert.equal(shaping.mode, 'shaping-proxy');
  assert.deepEqual(shaping.proxies.map((p) => p.tier).sort(), ['deviceEdge', 'deviceEdge', 'edgeCloud']);
  assert.ok(
    shaping.notes.some((n) => /always online/.test(n)),
    'the duty cycle that was not applied is reported',
  );
  const wire = record.final.wireBytes as Record<string, number>;
  assert.ok(wire.deviceEdgeDown > 0 && wire.deviceEdgeUp > 0 && wire.edgeCloudDown > 0 && wire.edgeCloudUp > 0);
  assert.equal(wire.deviceCloud, 0);
  assert.deepEqual(record.config.topology, loaded.topology);
});

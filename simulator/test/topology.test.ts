// Topology files: the shipped examples load; mistakes fail naming the field; availability schedules and the
// assignment of data partitions to devices behave as documented.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ConfigError, SeededRandom } from '@strata/shared';
import { findRepoRoot } from '@strata/tasks';
import { DutyCycle, TraceAvailability } from '../src/availability.js';
import { parseAvailabilityTrace } from '../src/availability-trace.js';
import { deviceCount, planDevices } from '../src/device-plan.js';
import { loadTopology, parseTopology } from '../src/load-topology.js';

const topologies = join(findRepoRoot(), 'simulator', 'topologies');

/** A topology as written in a file, untyped on purpose: tests write invalid ones. */
// biome-ignore lint/suspicious/noExplicitAny: tests write topologies of any shape, valid or not
type Spec = Record<string, any>;

/** A small valid topology; tests change one thing in it. */
function base(): Spec {
  return {
    name: 'test',
    links: { lan: { latencyMs: 5, upMbps: 10, downMbps: 50 }, wan: { latencyMs: 40, upMbps: 5, downMbps: 5 } },
    regions: { cloud: {}, town: { backhaul: 'wan' } },
    cloud: { region: 'cloud' },
    edges: [
      { id: 'edge-a', region: 'town' },
      { id: 'edge-b', region: 'town' },
    ],
    devices: [
      { group: 'a', edge: 'edge-a', count: 3, link: 'lan' },
      { group: 'b', edge: 'edge-b', count: 2, link: 'lan' },
    ],
  };
}

function rejects(mutate: (t: Spec) => void, ...fragments: (string | RegExp)[]): void {
  const topology = base();
  mutate(topology);
  assert.throws(
    () => parseTopology(topology, { baseDir: topologies }),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError, String(error));
      for (const fragment of fragments)
        assert.match(error.message, typeof fragment === 'string' ? new RegExp(fragment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) : fragment);
      return true;
    },
  );
}

test('the shipped topologies load, and the flat baseline has the same devices as the city', () => {
  for (const file of ['campus.yaml', 'city-slow-backhaul.yaml', 'city-flat.yaml']) {
    const { topology } = loadTopology(join(topologies, file));
    assert.ok(deviceCount(topology) > 0, file);
  }
  const city = loadTopology(join(topologies, 'city-slow-backhaul.yaml')).topology;
  const flat = loadTopology(join(topologies, 'city-flat.yaml')).topology;
  const groups = (t: typeof city) => t.devices.map((g) => [g.group, g.count, g.link, g.data.skew, g.compute]);
  assert.deepEqual(groups(flat), groups(city));
  assert.deepEqual(flat.task, city.task);
  assert.equal(flat.schedule.kappa2, 1);
  assert.ok(city.schedule.kappa2 > 1);
  assert.deepEqual(
    flat.edges.map((e) => e.region),
    [flat.cloud.region],
  );
});

test('a misspelt field fails naming its path and the unknown key', () => {
  rejects((t) => (t.links.lan.latencyMS = 5), 'links.lan', 'latencyMS');
  rejects((t) => (t.devices[1].avilability = { kind: 'always' }), 'devices.1', 'avilability');
  rejects((t) => (t.schedule = { kapa2: 3 }), 'schedule', 'kapa2');
});

test('a negative bandwidth fails naming the field', () => {
  rejects((t) => (t.links.wan.downMbps = -5), 'links.wan.downMbps', '-5');
});

test('an edge with no devices fails naming the edge', () => {
  rejects((t) => t.edges.push({ id: 'edge-c', region: 'town' }), 'edges.2', 'edge "edge-c" has no devices');
});

test('references to undefined links, regions and edges fail naming the field that holds them', () => {
  rejects((t) => (t.devices[0].link = 'fibre'), 'devices.0.link', 'unknown link "fibre"');
  rejects((t) => (t.regions.town.backhaul = 'satellite'), 'regions.town.backhaul');
  rejects((t) => (t.edges[1].region = 'village'), 'edges.1.region');
  rejects((t) => (t.devices[1].edge = 'edge-z'), 'devices.1.edge');
  rejects((t) => (t.cloud.region = 'moon'), 'cloud.region');
  rejects((t) => (t.devices[0].compute = { speed: 2, secondsPerSample: 0.1 }), 'devices.0.compute', 'not both');
  rejects((t) => (t.devices[0].availability = { kind: 'sometimes' }), 'devices.0.availability.kind');
  rejects((t) => (t.devices[0].availability = { kind: 'trace', file: 'traces/missing.csv' }), 'devices.0.availability.file', 'missing.csv');
});

test('a duty cycle is online for its on time from its phase, then off, repeating', () => {
  const cycle = new DutyCycle(1000, 3000, 500);
  assert.deepEqual(
    [0, 499, 500, 3499, 3500, 4499].map((t) => cycle.onlineAt(t)),
    [true, true, false, false, true, true],
  );
  assert.equal(cycle.nextChange(0), 500);
  assert.equal(cycle.nextChange(500), 3500);
  assert.equal(cycle.nextChange(3500), 4500);
});

test('a trace gives each device its traced intervals, cycling over traced devices and repeating in time', () => {
  const trace = parseAvailabilityTrace('device,start,end\n# two phones\np1,10,20\np1,15,30\np2,0,5\n', 'test.csv');
  assert.equal(trace.lengthMs, 30_000);
  const p1 = TraceAvailability.forDevice(trace, 0, true);
  const p2again = TraceAvailability.forDevice(trace, 3, false);
  assert.deepEqual(
    [0, 9_999, 10_000, 29_999, 30_000, 40_000].map((t) => p1.onlineAt(t)),
    [false, false, true, true, false, true],
  );
  assert.equal(p1.nextChange(0), 10_000);
  assert.equal(p1.nextChange(10_000), 30_000, 'overlapping intervals are merged');
  assert.equal(p1.nextChange(30_000), 40_000, 'the trace repeats after 30 s');
  assert.equal(p2again.onlineAt(0), true);
  assert.equal(p2again.nextChange(5_000), undefined, 'without repeat, a device stays off after its trace');
  assert.throws(() => parseAvailabilityTrace('p1,20,10\n', 'bad.csv'), /bad\.csv:1: an interval needs 0 <= start < end/);
});

test('data assignment: skew 1 gives each group a contiguous block, skew 0 deals partitions at random, never twice', () => {
  const topology = parseTopology(base(), { baseDir: topologies }).topology;
  const partitions = (skew: number, total = 10) => {
    const t = { ...topology, devices: topology.devices.map((g) => ({ ...g, data: { skew } })) };
    return planDevices(t, total, new SeededRandom(1)).map((d) => d.partition);
  };
  assert.deepEqual(partitions(1), [0, 2, 4, 6, 8]);
  const iid = partitions(0);
  assert.notDeepEqual(iid, [0, 2, 4, 6, 8]);
  assert.deepEqual(
    [...iid].sort((a, b) => a - b),
    [0, 2, 4, 6, 8],
  );
  assert.deepEqual(partitions(0), iid, 'the same seed deals the same way');
  assert.throws(() => partitions(0, 4), /devices: the groups hold 5 devices but the task has only 4 data partitions/);
});

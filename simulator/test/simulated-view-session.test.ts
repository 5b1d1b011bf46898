// Viewing sessions in virtual time: the figures follow from the link and the costs (exact where nothing
// queues), the same seed gives the same session, and a topology file's viewing section is checked and run.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '@strata/shared';
import { loadTopology, parseTopology } from '../src/load-topology.js';
import { VIEWING_DEVICES, VIEWING_LINKS } from '../src/viewing-profiles.js';
import { simulateViewSession, simulateViewingSessions, type ViewFrameCosts } from '../src/simulated-view-session.js';

const costs: ViewFrameCosts = { colorBytes: 5000, depthBytes: 10_000, edgeRenderMs: 10, localRenderMs: 20, composeMs: 4 };
const fast = { latencyMs: 5, jitterMs: 0, upMbps: 1000, downMbps: 1000, loss: 0 };

test('nothing queues on a fast link at 10 Hz: motion-to-photon is pose up + render + frame down, exactly', () => {
  const remote = simulateViewSession({ architecture: 'remote', link: fast, cpuSpeed: 1, costs, poses: 20, rateHz: 10, seed: 1 });
  // 1 Gbit/s = 125,000 bytes per ms; a pose is 420 bytes, a frame its colour plus 520 bytes of framing.
  const expected = 420 / 125_000 + 5 + 10 + (5000 + 520) / 125_000 + 5;
  assert.equal(remote.shown, 20);
  assert.ok(Math.abs(remote.latencyMedianMs - expected) < 1e-9, `${remote.latencyMedianMs} against ${expected}`);
  assert.equal(remote.posesDropped, 0);
  const co = simulateViewSession({ architecture: 'co', link: fast, cpuSpeed: 0.5, costs, poses: 20, rateHz: 10, seed: 1 });
  assert.equal(co.latencyMedianMs, 8, 'co: the compose time at half speed');
  const local = simulateViewSession({ architecture: 'local', link: fast, cpuSpeed: 1, costs, poses: 20, rateHz: 10, seed: 1 });
  assert.equal(local.latencyMedianMs, 20);
  assert.equal(local.bytesPerSecond, 0, 'local rendering sends nothing');
  assert.ok(co.bytesPerSecond > remote.bytesPerSecond, 'co-rendering frames carry depth');
});

test('a slow link lowers the frame rate and raises latency instead of queueing; a slow device skips ticks', () => {
  const slow = { latencyMs: 40, jitterMs: 0, upMbps: 2, downMbps: 2, loss: 0 };
  const onFast = simulateViewSession({ architecture: 'remote', link: fast, cpuSpeed: 1, costs, poses: 90, rateHz: 30, seed: 1 });
  const onSlow = simulateViewSession({ architecture: 'remote', link: slow, cpuSpeed: 1, costs, poses: 90, rateHz: 30, seed: 1 });
  // Two frames in flight per ~115 ms round trip (2 x 40 ms, 22 ms on the wire, 10 ms render): about 17 fps.
  assert.ok(onSlow.fps < 0.7 * onFast.fps, `${onSlow.fps} fps on 2 Mbit/s, ${onFast.fps} on 1 Gbit/s`);
  assert.ok(onSlow.latencyMedianMs > onFast.latencyMedianMs + 80);
  assert.ok(onSlow.posesDropped > 0, 'stale poses are dropped at the edge');
  const phone = simulateViewSession({ architecture: 'local', link: fast, cpuSpeed: 0.25, costs, poses: 90, rateHz: 30, seed: 1 });
  assert.ok(phone.shown < 90 / 2, `a device taking 80 ms a frame shows ${phone.shown} of 90 poses`);
});

test('the same seed gives the same session under jitter and loss', () => {
  const lte = { latencyMs: 30, jitterMs: 8, upMbps: 10, downMbps: 40, loss: 0.01 };
  const run = (seed: number) => simulateViewSession({ architecture: 'co', link: lte, cpuSpeed: 1, costs, poses: 60, rateHz: 30, seed });
  assert.deepEqual(run(3), run(3));
  assert.notDeepEqual(run(3), run(4));
});

test("a topology file's viewing section: checked, and every session simulated", () => {
  const { topology } = loadTopology(fileURLToPath(new URL('../../topologies/viewing.yaml', import.meta.url)));
  // The file's viewing links are the profiles `strata view` shapes its loopback sessions with.
  for (const [name, profile] of Object.entries(VIEWING_LINKS)) assert.deepEqual(topology.links[name], profile, `link ${name}`);
  for (const [name, device] of Object.entries(VIEWING_DEVICES)) assert.deepEqual(topology.viewing?.devices[name], device, `device ${name}`);
  const rows = simulateViewingSessions(topology);
  const sessions = topology.viewing?.sessions.length ?? 0;
  // local once per device and size (4 of them), remote and co per session.
  assert.equal(rows.length, 2 * sessions + 4);
  assert.ok(rows.every((row) => row.shown > 0 && Number.isFinite(row.latencyP95Ms)));
  const spec = {
    name: 'bad-viewing',
    links: { wifi: fast },
    regions: { r: {} },
    cloud: { region: 'r' },
    edges: [{ id: 'e', region: 'r' }],
    devices: [{ group: 'g', edge: 'e', count: 1, link: 'wifi' }],
    viewing: { devices: { laptop: { cpuSpeed: 1 } }, frames: { '100': costs }, sessions: [{ link: 'lte', device: 'laptop', size: 100 }] },
  };
  assert.throws(
    () => parseTopology(spec, { baseDir: '.' }),
    (error) => error instanceof ConfigError && /viewing\.sessions\.0\.link.*unknown link "lte"/s.test(error.message),
  );
});

// Hostile peers against an edge daemon (separate processes, real Redis): random bytes, a truncated frame, an
// update with NaN, an update of the wrong shape, a 9 MiB message and a wrong token are each refused with a
// counted reason in /metrics, while the edge keeps serving its honest devices and the round completes.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { type DaemonProcess, fileDeployment, getJson, metric, scrape, waitForHealth } from './distributed-support.js';

const { deployment, scratch: runsDir } = fileDeployment('hostile');

test('every kind of bad input is refused with a counted reason while the honest devices are served', { timeout: 180_000 }, async () => {
  const edge = await deployment.edge('region-1');
  await deployment.devices('region-1', [edge.url], 0, [], 2);
  const hostile = (behaviour: string, id: number): DaemonProcess =>
    deployment.hostileDevice(edge.url, 'region-1', `device-${id}`, behaviour);
  const attackers = ['random', 'truncated', 'nan', 'shape', 'oversized', 'always-resync'].map((b, i) => hostile(b, 90 + i));
  const streamers = [0, 1, 2, 3].map((i) => hostile('declared-oversize', 80 + i));
  attackers.push(...streamers);
  for (const attacker of attackers) await attacker.waitForMessage('connected');
  const impostor = hostile('wrong-token', 99);
  await impostor.waitForMessage('refused');
  await waitForHealth(edge.http, (h) => h.devices === 12, '2 honest and 10 hostile devices');

  const coordinator = deployment.startRun(runsDir, ['--regions', 'region-1', '--rounds', '1', '--eval-every', '0']);
  assert.equal(await coordinator.exited, 0, 'the round completes');

  const samples = await scrape(edge.http);
  const rejected = (reason: string): number => metric(samples, 'strata_updates_rejected_total', { reason });
  assert.equal(
    rejected('malformed'),
    7,
    'random bytes, the truncated frame, a Resync in answer to the whole model, and the four training replies the link refused',
  );
  assert.equal(rejected('non_finite'), 1);
  assert.equal(rejected('shape'), 1);
  assert.equal(metric(samples, 'strata_updates_accepted_total'), 2, 'both honest updates');
  assert.equal(metric(samples, 'strata_transport_refusals_total', { reason: 'auth' }), 1);
  // The 9 MiB message, and each 232 MiB reply refused at its first chunk (the streamers answer the final
  // evaluation the same way, unless their flood of leftover chunks got them disconnected first).
  assert.ok(metric(samples, 'strata_transport_refusals_total', { reason: 'oversized' }) >= 5);
  // Four devices streaming 232 MiB each (the model is a few KB): the edge refused them at the declared size
  // (3 × the model + 64 KiB) and never held them; its peak RSS stays far below the ~1 GB they would need.
  const peakMiB = Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${edge.daemon.pid}/status`, 'utf8'))?.[1]) / 1024;
  process.stderr.write(`edge peak RSS under the oversized streams: ${peakMiB.toFixed(0)} MiB\n`);
  assert.ok(peakMiB < 400, `edge peak RSS ${peakMiB.toFixed(0)} MiB`);
  assert.equal(metric(samples, 'strata_edge_jobs_total', { kind: 'edge-round', outcome: 'done' }), 1);

  // Still serving: healthy, the honest devices connected, the oversized sender cut off.
  const health = await getJson(`${edge.http}/healthz`);
  assert.equal(health.ok, true);
  assert.ok((health.devices as number) >= 7, 'the honest devices and the hostile ones still allowed to stay');
});

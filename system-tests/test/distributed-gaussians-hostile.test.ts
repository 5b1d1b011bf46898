// Hostile devices against an edge daemon running the Gaussian task's checks (`strata edge --task
// radiance/gaussians`, which passes the task's checkUpdate to the edge): separate processes send a change of a
// free slot of the scaffold, a Gaussian's change with a row weight other than a device's 1, and a negative
// densification statistic; and, with the cloud's Adam (combineChanges 'serverAdam'), a gradient of 1e20. Each is refused by its reason and counted in /metrics, while the honest devices'
// round completes and the edge keeps serving.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileDeployment, getJson, metric, onlyRunRecord, scrape, waitForHealth } from './distributed-support.js';
import { GAUSSIAN_RUN_ARGS, GAUSSIAN_TASK_ARGS, SERVER_ADAM_ARGS } from './distributed-gaussians-support.js';

const { deployment, scratch: runsDir } = fileDeployment('gaussians-hostile');
const { deployment: adamDeployment, scratch } = fileDeployment('gaussians-hostile-adam');

test("the Gaussian task's checks at a daemon edge refuse each hostile update by its reason while the honest round completes", {
  timeout: 180_000,
}, async () => {
  const edge = await deployment.edge('region-1', GAUSSIAN_TASK_ARGS);
  await deployment.devices('region-1', [edge.url], 0, GAUSSIAN_TASK_ARGS, 2);
  const behaviours = {
    'gaussian-free-slot': 'outside_scaffold',
    'gaussian-row-weight': 'bad_weight',
    'gaussian-statistic': 'bad_statistic',
  };
  const attackers = Object.keys(behaviours).map((behaviour, i) =>
    deployment.hostileDevice(edge.url, 'region-1', `device-${90 + i}`, behaviour),
  );
  for (const attacker of attackers) await attacker.waitForMessage('connected', 60_000);
  await waitForHealth(edge.http, (h) => h.devices === 5, '2 honest and 3 hostile devices');

  const coordinator = deployment.startRun(runsDir, ['--regions', 'region-1', '--rounds', '1', ...GAUSSIAN_RUN_ARGS]);
  assert.equal(await coordinator.exited, 0, 'the round completes');

  for (const attacker of attackers) await attacker.waitForMessage('answering');
  const samples = await scrape(edge.http);
  for (const [behaviour, reason] of Object.entries(behaviours)) {
    assert.equal(metric(samples, 'strata_updates_rejected_total', { reason }), 1, `${behaviour}: refused as ${reason}`);
  }
  assert.equal(metric(samples, 'strata_updates_accepted_total'), 2, 'both honest updates');
  assert.equal(metric(samples, 'strata_edge_jobs_total', { kind: 'edge-round', outcome: 'done' }), 1);

  const record = onlyRunRecord(runsDir);
  const participation = record.rounds[0].participation as { answered: number; rejected: Record<string, number> };
  assert.deepEqual(participation.rejected, { outside_scaffold: 1, bad_weight: 1, bad_statistic: 1 });
  assert.ok(Number.isFinite(record.final.metrics.psnr), `final PSNR ${record.final.metrics.psnr}`);

  // Still serving: healthy, every device still connected (a refused update does not end a session).
  const health = await getJson(`${edge.http}/healthz`);
  assert.equal(health.ok, true);
  assert.equal(health.devices, 5);
});

test("serverAdam: a hostile device's gradient too large for the cloud's Adam is refused at a daemon edge while the honest round completes", {
  timeout: 180_000,
}, async () => {
  const args = [...GAUSSIAN_TASK_ARGS, ...SERVER_ADAM_ARGS];
  const edge = await adamDeployment.edge('region-1', args);
  await adamDeployment.devices('region-1', [edge.url], 0, args, 2);
  const attacker = adamDeployment.hostileDevice(edge.url, 'region-1', 'device-90', 'gaussian-gradient');
  await attacker.waitForMessage('connected', 60_000);
  await waitForHealth(edge.http, (h) => h.devices === 3, '2 honest and 1 hostile device');

  const coordinator = adamDeployment.startRun(scratch, [
    '--regions',
    'region-1',
    '--rounds',
    '1',
    ...GAUSSIAN_RUN_ARGS,
    ...SERVER_ADAM_ARGS,
  ]);
  assert.equal(await coordinator.exited, 0, 'the round completes');
  await attacker.waitForMessage('answering');
  const samples = await scrape(edge.http);
  assert.equal(metric(samples, 'strata_updates_rejected_total', { reason: 'bad_statistic' }), 1, 'the gradient refused');
  assert.equal(metric(samples, 'strata_updates_accepted_total'), 2, 'both honest updates');
  const record = onlyRunRecord(scratch);
  assert.deepEqual((record.rounds[0].participation as { rejected: Record<string, number> }).rejected, { bad_statistic: 1 });
  assert.ok(Number.isFinite(record.final.metrics.psnr), `final PSNR ${record.final.metrics.psnr}`);
  assert.equal((await getJson(`${edge.http}/healthz`)).devices, 3);
});

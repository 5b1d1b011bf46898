// Federated Gaussians (`radiance/gaussians`) on the daemons: a coordinator, 2 edges and 2 devices as processes
// on loopback with real Redis run 2 cloud rounds of the tiny procedural run and finish with a finite PSNR.
// One edge is given the task (it checks device updates with it), the other relays only: both send the models
// down losslessly because the coordinator's jobs say so. A coordinator whose downlink would break the
// scaffold is refused at start by name.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileDeployment, metric, onlyRunRecord, scrape } from './distributed-support.js';
import { GAUSSIAN_RUN_ARGS, GAUSSIAN_TASK_ARGS } from './distributed-gaussians-support.js';

const ROUNDS = 2;
const { deployment, scratch: runsDir } = fileDeployment('distributed-gaussians');

test('a coordinator whose downlink is lossy is refused at start, naming the downlink and the flags that fix it', {
  timeout: 60_000,
}, async () => {
  const lossy = GAUSSIAN_RUN_ARGS.filter((arg, i, all) => !arg.startsWith('--downlink') && !all[i - 1]?.startsWith('--downlink'));
  const coordinator = deployment.startRun(`${runsDir}/refused`, ['--regions', 'region-1', ...lossy]);
  assert.notEqual(await coordinator.exited, 0);
  const said = coordinator.lines.map((line) => line.msg ?? '').join('\n');
  assert.match(said, /task radiance\/gaussians needs a lossless downlink/);
  assert.match(said, /got dtype int8, rowFraction 0\.25/);
  assert.match(said, /--downlink float32 --downlink-rows 1/);
});

test('a coordinator, 2 edges and 2 devices as processes run federated Gaussians to a finite PSNR', { timeout: 180_000 }, async () => {
  const [checking, relaying] = await Promise.all([deployment.edge('region-1', GAUSSIAN_TASK_ARGS), deployment.edge('region-2')]);
  await Promise.all([
    deployment.devices('region-1', [checking.url], 0, GAUSSIAN_TASK_ARGS),
    deployment.devices('region-2', [relaying.url], 1, GAUSSIAN_TASK_ARGS),
  ]);

  const coordinator = deployment.startRun(`${runsDir}/run`, [
    '--regions',
    'region-1,region-2',
    '--rounds',
    String(ROUNDS),
    ...GAUSSIAN_RUN_ARGS,
  ]);
  assert.equal(await coordinator.exited, 0, 'the coordinator finishes the run and exits cleanly');

  const record = onlyRunRecord(`${runsDir}/run`);
  assert.equal(record.mode, 'distributed');
  assert.deepEqual(
    record.rounds.map((r) => r.version),
    [1, 2],
  );
  for (const round of record.rounds) {
    const participation = round.participation as { answered: number };
    assert.equal(participation.answered, 2, `round ${round.round}: both devices' updates`);
  }
  const psnr = record.final.metrics.psnr;
  process.stderr.write(`federated Gaussians on the daemons: final PSNR ${psnr} dB, ${record.final.metrics.gaussians} Gaussians\n`);
  assert.ok(Number.isFinite(psnr), `final PSNR ${psnr}`);
  assert.ok(psnr > 5, `final PSNR ${psnr} dB: the scaffold rendered something like the scene`);
  assert.ok((record.final.metrics.gaussians ?? 0) > 0, 'the scaffold holds Gaussians');

  // Both edges took the run's lossless downlink from the jobs (their own default is int8 patches of a quarter
  // of the rows) and accepted their device's update each round.
  for (const edge of [checking, relaying]) {
    const switched = await edge.daemon.waitForMessage('the job sets another downlink: devices get the whole model next');
    assert.deepEqual(switched.downlink, { dtype: 'float32', rowFraction: 1, energy: 1, history: 4, entropy: 'brotli' });
    const samples = await scrape(edge.http);
    assert.equal(metric(samples, 'strata_updates_accepted_total'), ROUNDS);
    assert.equal(metric(samples, 'strata_edge_jobs_total', { kind: 'edge-round', outcome: 'done' }), ROUNDS);
  }
});

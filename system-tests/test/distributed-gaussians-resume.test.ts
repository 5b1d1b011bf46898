// Federated Gaussians (serverAdam, the default) on the daemons, every tier a process on real Redis: a coordinator
// killed (SIGKILL) once round 3 is done and started again on the same Redis prefix resumes at its version with
// the cloud's Adam moments and step count it saved, and ends the run with the uninterrupted deployment's final
// PSNR and Gaussian count to the last bit (the evaluation renders the final model: another model, another PSNR).

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Deployment, fileDeployment, onlyRunRecord, type DaemonProcess } from './distributed-support.js';
import { GAUSSIAN_RUN_ARGS, GAUSSIAN_TASK_ARGS } from './distributed-gaussians-support.js';

const ROUNDS = 6;
const KILL_AFTER = 3;
const { deployment: uninterrupted, scratch } = fileDeployment('distributed-gaussians-resume');
const resumedDeployment = new Deployment();
after(() => resumedDeployment.stop());

/** One edge (checking device updates with the task) and both devices of the tiny run in one process. */
async function tiers(deployment: Deployment): Promise<void> {
  const edge = await deployment.edge('region-1', GAUSSIAN_TASK_ARGS);
  await deployment.devices('region-1', [edge.url], 0, GAUSSIAN_TASK_ARGS, 2);
}

const coordinatorArgs = (runsDir: string): string[] => [
  'coordinator',
  '--regions',
  'region-1',
  '--rounds',
  String(ROUNDS),
  ...GAUSSIAN_RUN_ARGS,
  '--exit-when-done',
  '--runs-dir',
  runsDir,
  '--http-port',
  '0',
  '--lease-seconds',
  '1',
];

const roundDone = (round: number) => (line: Record<string, unknown>) => line.msg === 'cloud round done' && line.round === round;

test(`a coordinator killed after round ${KILL_AFTER} of federated Gaussians resumes and ends on the uninterrupted model`, {
  timeout: 240_000,
}, async () => {
  await tiers(uninterrupted);
  const reference: DaemonProcess = uninterrupted.start('coordinator', coordinatorArgs(`${scratch}/uninterrupted`));
  assert.equal(await reference.exited, 0);
  const expected = onlyRunRecord(`${scratch}/uninterrupted`).final.metrics;

  await tiers(resumedDeployment);
  const args = coordinatorArgs(`${scratch}/resumed`);
  const first = resumedDeployment.start('coordinator 1', args);
  await first.waitFor(roundDone(KILL_AFTER), `round ${KILL_AFTER} to be done`, 120_000);
  first.kill('SIGKILL');
  await first.exited;
  const second = resumedDeployment.start('coordinator 2', args);
  const resumed = await second.waitForMessage('coordinator resumed', 60_000);
  assert.ok((resumed.version as number) >= KILL_AFTER, `resumed at version ${resumed.version}`);
  assert.equal(await second.exited, 0);

  const record = onlyRunRecord(`${scratch}/resumed`);
  assert.deepEqual(
    record.rounds.map((r) => r.version),
    [1, 2, 3, 4, 5, 6],
  );
  process.stderr.write(`resumed: final PSNR ${record.final.metrics.psnr}, uninterrupted ${expected.psnr}\n`);
  assert.ok(Number.isFinite(expected.psnr) && expected.psnr > 5, `uninterrupted PSNR ${expected.psnr}`);
  assert.equal(record.final.metrics.psnr, expected.psnr, 'the final PSNR, to the last bit');
  assert.equal(record.final.metrics.gaussians, expected.gaussians);
});

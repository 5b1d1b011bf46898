// Fault tests of the distributed runtime, every tier a separate OS process on real Redis: an edge killed
// mid-round (its replica completes the round), the coordinator killed mid-round (its successor resumes at
// the same version and waits for the same flow), and a device dropping its connection mid-upload (the round
// completes on quorum). Devices train slowly (--train-delay-ms) so that "mid-round" is a wide window.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireRedis } from '@strata/runtime/testing';
import { Deployment, waitForHealth, onlyRunRecord } from './distributed-support.js';

const deployments: Deployment[] = [];
const dirs: string[] = [];
const fresh = (): { deployment: Deployment; runsDir: string } => {
  const deployment = new Deployment();
  deployments.push(deployment);
  const runsDir = mkdtempSync(join(tmpdir(), 'strata-faults-'));
  dirs.push(runsDir);
  return { deployment, runsDir };
};
const startedJob =
  (roundId: string, name = 'edge-round') =>
  (line: Record<string, unknown>) =>
    line.msg === 'edge job started' && line.roundId === roundId && line.job === name;
/** Fast failure detection for tests: a dead edge's job is back in the queue about 1.5 s later. */
const FAST_QUEUE = ['--lock-duration-ms', '1000', '--stalled-interval-ms', '500'];

before(() => requireRedis());
after(async () => {
  for (const deployment of deployments) await deployment.stop();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

test('an edge killed mid-round: its devices fail over to the replica, which completes the round', { timeout: 90_000 }, async () => {
  const { deployment, runsDir } = fresh();
  const primary = await deployment.edge('region-1', ['--node-id', 'edge-a', ...FAST_QUEUE]);
  const replica = await deployment.edge('region-1', ['--node-id', 'edge-b', ...FAST_QUEUE]);
  const other = await deployment.edge('region-2', FAST_QUEUE);
  await deployment.devices('region-1', [primary.url, replica.url], 0, ['--failover-seconds', '0.3', '--train-delay-ms', '800'], 3);
  await deployment.devices('region-2', [other.url], 3, [], 3);
  await waitForHealth(primary.http, (h) => h.devices === 3 && h.takingJobs === true, 'the primary serving its devices');
  await waitForHealth(replica.http, (h) => h.devices === 0 && h.takingJobs === false, 'the replica on standby');

  const coordinator = deployment.startRun(runsDir, ['--regions', 'region-1,region-2', '--rounds', '2']);
  await primary.daemon.waitFor(startedJob('r1-v0'), 'the primary to start round 1');
  primary.daemon.kill('SIGKILL');

  const recovered = await replica.daemon.waitFor(startedJob('r1-v0'), 'the replica to take round 1 over');
  assert.equal(recovered.attempt, 2, 'the replica runs the recovered job (its second start)');
  assert.equal(await coordinator.exited, 0);
  const record = onlyRunRecord(runsDir);
  assert.deepEqual(
    record.rounds.map((r) => r.version),
    [1, 2],
  );
  const first = record.rounds[0].participation as { answered: number; edgesAnswered: number };
  assert.equal(first.edgesAnswered, 2, 'both regions contributed to round 1');
  assert.equal(first.answered, 6);
});

test('the coordinator killed mid-round: a new one resumes at the same version and waits for the same flow', {
  timeout: 90_000,
}, async () => {
  const { deployment, runsDir } = fresh();
  const edges = await Promise.all([deployment.edge('region-1'), deployment.edge('region-2')]);
  await deployment.devices('region-1', [edges[0].url], 0, ['--train-delay-ms', '1000'], 3);
  await deployment.devices('region-2', [edges[1].url], 3, ['--train-delay-ms', '1000'], 3);
  for (const edge of edges) await waitForHealth(edge.http, (h) => h.devices === 3, '3 devices on the edge');
  const args = [
    'coordinator',
    '--regions',
    'region-1,region-2',
    '--rounds',
    '2',
    '--exit-when-done',
    '--runs-dir',
    runsDir,
    '--http-port',
    '0',
    '--lease-seconds',
    '1',
  ];
  const first = deployment.start('coordinator 1', args);
  await edges[0].daemon.waitFor(startedJob('r1-v0'), 'round 1 to start on an edge');
  first.kill('SIGKILL');
  await first.exited;

  const second = deployment.start('coordinator 2', args);
  const resumed = await second.waitForMessage('coordinator resumed');
  assert.equal(resumed.version, 0);
  assert.equal((resumed.flow as { roundId: string }).roundId, 'r1-v0');
  await second.waitForMessage('waiting for the flow an earlier coordinator added');
  assert.equal(await second.exited, 0);

  const record = onlyRunRecord(runsDir);
  assert.deepEqual(
    record.rounds.map((r) => [r.round, r.version, r.resumed === true]),
    [
      [1, 1, true],
      [2, 2, false],
    ],
  );
  for (const edge of edges) {
    assert.equal(edge.daemon.lines.filter(startedJob('r1-v0')).length, 1, 'round 1 ran once on each edge: the flow was not added again');
  }
});

test('a device that drops its connection mid-upload: the round completes on quorum', { timeout: 90_000 }, async () => {
  const { deployment, runsDir } = fresh();
  const edge = await deployment.edge('region-1');
  await deployment.devices('region-1', [edge.url], 0, ['--train-delay-ms', '300'], 3);
  const leaving = deployment.hostileDevice(edge.url, 'region-1', 'device-99', 'mid-upload', { name: 'leaving device' });
  await leaving.waitForMessage('connected');
  await waitForHealth(edge.http, (h) => h.devices === 4, '4 devices on the edge');
  const coordinator = deployment.startRun(runsDir, ['--regions', 'region-1', '--rounds', '1', '--quorum', '0.75']);
  await leaving.waitForMessage('disconnecting');
  assert.equal(await coordinator.exited, 0);
  const [round] = onlyRunRecord(runsDir).rounds;
  assert.equal(round.version, 1);
  const participation = round.participation as { selected: number; answered: number; failed: number };
  assert.deepEqual([participation.selected, participation.answered, participation.failed], [4, 3, 1]);
});

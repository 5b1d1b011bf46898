// The cloud -> edge link in processes on real Redis: an edge whose cached model is missing reads the whole
// model blob where the others read patches, and the run's result is unchanged. Region 1's edge is killed
// between rounds (with the coordinator); its standby replica, holding no model, takes the next round and
// reads the whole model; the run ends on the embedded run's model bit for bit. The downlink is float32 rows
// (lossless), so a new edge sending its devices the whole model changes nothing either.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BprMfTask, loadInteractions, ml100kSource } from '@strata/tasks';
import { decodeModelBlob, modelBlobKey, parseRunConfig } from '@strata/shared';
import { RedisBlobStore } from '@strata/runtime';
import { TEST_REDIS_URL } from '@strata/runtime/testing';
import { Deployment, onlyRunRecord, waitForHealth } from './distributed-support.js';
import { embeddedRun } from './embedded-reference-run.js';

const ROUNDS = 4;
const KILL_AFTER = 2;
const LOSSLESS = { dtype: 'float32', rowFraction: 1, energy: 1 } as const;
/** Fast failure detection: a dead edge's job is back in the queue about 1.5 s later. */
const FAST_QUEUE = ['--lock-duration-ms', '1000', '--stalled-interval-ms', '500'];
const deployment = new Deployment();
const runsDir = mkdtempSync(join(tmpdir(), 'strata-edge-patch-'));
after(async () => {
  await deployment.stop();
  rmSync(runsDir, { recursive: true, force: true });
});

const roundDone = (round: number) => (line: Record<string, unknown>) => line.msg === 'cloud round done' && line.round === round;

test('an edge that lost its model reads the whole blob, the others patches; the run ends on the embedded model bit for bit', {
  timeout: 300_000,
}, async () => {
  const primary = await deployment.edge('region-1', ['--node-id', 'edge-a', ...FAST_QUEUE]);
  const replica = await deployment.edge('region-1', ['--node-id', 'edge-b', ...FAST_QUEUE]);
  const other = await deployment.edge('region-2', FAST_QUEUE);
  for (let k = 0; k < 6; k++) {
    const region1 = k < 3;
    await deployment.devices(
      region1 ? 'region-1' : 'region-2',
      region1 ? [primary.url, replica.url] : [other.url],
      k,
      region1 ? ['--failover-seconds', '0.3'] : [],
    );
  }
  await waitForHealth(primary.http, (h) => h.devices === 3 && h.takingJobs === true, 'the primary serving its devices');
  await waitForHealth(replica.http, (h) => h.devices === 0 && h.takingJobs === false, 'the replica on standby');

  const args = [
    '--regions',
    'region-1,region-2',
    '--rounds',
    String(ROUNDS),
    '--downlink',
    'float32',
    '--downlink-rows',
    '1',
    '--lease-seconds',
    '1',
  ];
  const first = deployment.startRun(runsDir, args);
  await first.waitFor(roundDone(KILL_AFTER), `round ${KILL_AFTER} to be done`, 180_000);
  first.kill('SIGKILL');
  await first.exited;
  primary.daemon.kill('SIGKILL');
  await primary.daemon.exited;
  await waitForHealth(replica.http, (h) => h.devices === 3 && h.takingJobs === true, 'the replica serving region 1');
  const second = deployment.startRun(runsDir, args);
  assert.equal(await second.exited, 0, 'the second coordinator resumes and finishes the run');

  const blobs = new RedisBlobStore({ url: TEST_REDIS_URL, prefix: `${deployment.prefix}:blob:` });
  const blob = await blobs.get(modelBlobKey(ROUNDS));
  await blobs.close();
  assert.ok(blob, 'the final model is in Redis');
  const distributed = decodeModelBlob(blob).model;
  const task = BprMfTask.fromInteractions(loadInteractions(ml100kSource()), { seed: parseRunConfig({}).seed });
  const embedded = await embeddedRun(task, { edges: 2, devices: 6, rounds: ROUNDS, downlink: LOSSLESS });
  for (const [name, values] of embedded.model) {
    assert.deepEqual(distributed.get(name)!.values, values, `${name}, bit for bit`);
  }

  // Bytes the edges read from the cloud: patches (smaller than the model) while they held the version
  // before, and the whole model once by the replica, at round KILL_AFTER's evaluation or the next round.
  const record = onlyRunRecord(runsDir);
  const read = record.rounds.map((r) => ({ train: r.bytes.edgeCloudDown ?? 0, evaluate: r.bytes.evaluationEdgeCloudDown ?? 0 }));
  const whole = blob.byteLength;
  assert.ok(
    read.slice(0, KILL_AFTER - 1).every((r) => r.evaluate > 0 && r.evaluate < 2 * whole),
    `two patches a round before the kill: ${JSON.stringify(read)} (the whole model: ${whole} bytes)`,
  );
  assert.ok(
    read.slice(KILL_AFTER + 1).every((r) => r.evaluate > 0 && r.evaluate < 2 * whole),
    `two patches a round after the replica took over: ${JSON.stringify(read)}`,
  );
  const afterKill = read[KILL_AFTER - 1].evaluate + read[KILL_AFTER].train;
  assert.ok(afterKill >= whole, `the replica read the whole model: ${JSON.stringify(read)}`);
});

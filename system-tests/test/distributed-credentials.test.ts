// Node identities against real daemons (separate processes, real Redis): credentials issued with `strata
// credentials`, an edge in credentials mode, and hostile devices, each its own process, that try to act as
// another device, open a second session under a connected id, come from another region, present the shared
// token, stay connected after its credential is revoked, use a revoked credential, or send numbers the server does not allow (an inflated or negative
// weight, another round's id, another sender). Each is refused or cut with a counted reason; the round of
// the honest devices completes.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type DaemonProcess,
  fileDeployment,
  metric,
  scrape,
  STRATA_BIN,
  TOKEN,
  waitForHealth,
  onlyRunRecord,
} from './distributed-support.js';

const { deployment, scratch } = fileDeployment('credentials');
const REGION = 'region-1';

function strata(args: readonly string[]): string {
  return execFileSync(process.execPath, [STRATA_BIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, STRATA_REDIS_PREFIX: deployment.prefix },
  });
}

function issue(id: string, region = REGION): string {
  return strata(['credentials', 'issue', '--key', join(scratch, 'issuer', 'issuer.key'), '--id', id, '--region', region]).trim();
}

function hostile(behaviour: string, nodeId: string, token: string, edgeUrl: string): DaemonProcess {
  const daemon = deployment.hostileDevice(edgeUrl, REGION, nodeId, behaviour, { token, name: `${behaviour} ${nodeId}` });
  return daemon;
}

/** Connects once as `nodeId` with `token`: the refusal's message, or undefined when the edge accepted it. */
async function refusal(nodeId: string, token: string, edgeUrl: string): Promise<string | undefined> {
  const attempt = hostile('connect-once', nodeId, token, edgeUrl);
  const line = await attempt.waitFor((l) => l.msg === 'accepted' || l.msg === 'refused', 'an answer to the handshake');
  return line.msg === 'refused' ? String(line.error) : undefined;
}

test('with credentials, a device acts only as itself, in its region, once, until revoked; forged numbers are cut or refused', {
  timeout: 120_000,
}, async () => {
  strata(['credentials', 'keygen', '--out', join(scratch, 'issuer')]);
  const fleet = join(scratch, 'fleet.creds');
  strata([
    'credentials',
    'issue',
    '--key',
    join(scratch, 'issuer', 'issuer.key'),
    '--id-prefix',
    'device-',
    '--count',
    '2',
    '--region',
    REGION,
    '--out',
    fleet,
  ]);
  const [device1] = readFileSync(fleet, 'utf8').trim().split('\n');
  assert.match(strata(['credentials', 'inspect', device1]), /"id": "device-1"/);

  const edge = await deployment.edge(REGION, ['--trusted-keys', join(scratch, 'issuer', 'issuer.pub')]);
  await deployment.devices(REGION, [edge.url], 0, ['--credentials', fleet], 2);

  assert.match((await refusal('device-3', device1, edge.url)) ?? 'accepted', /credential is for device-1, not device-3/);
  assert.match((await refusal('device-1', device1, edge.url)) ?? 'accepted', /device-1 is already connected in another session/);
  assert.match((await refusal('device-4', issue('device-4', 'region-2'), edge.url)) ?? 'accepted', /credential is for region region-2/);
  assert.match(
    (await refusal('device-5', TOKEN, edge.url)) ?? 'accepted',
    /not a Strata credential/,
    'the shared token opens nothing here',
  );
  const device6 = issue('device-6');
  assert.equal(await refusal('device-6', device6, edge.url), undefined, 'a valid credential is accepted');
  const held = hostile('held-open', 'device-6', device6, edge.url);
  await held.waitForMessage('connected');
  strata(['credentials', 'revoke', device6]);
  await held.waitForMessage('dropped'); // the edge checks open sessions' credentials again every 5 s
  assert.match((await refusal('device-6', device6, edge.url)) ?? 'accepted', /credential .* is revoked/);

  const forgers = ['inflated-weight', 'negative-weight', 'stale', 'sender', 'negative-row-weights', 'inflated-evaluation'].map(
    (behaviour, i) => {
      const id = `device-${10 + i}`;
      return hostile(behaviour, id, issue(id), edge.url);
    },
  );
  for (const forger of forgers) await forger.waitForMessage('connected');
  await waitForHealth(edge.http, (h) => h.devices === 8, '2 honest and 6 forging devices');

  const coordinator = deployment.start('coordinator', [
    'coordinator',
    '--regions',
    REGION,
    '--rounds',
    '1',
    '--eval-every',
    '0',
    '--exit-when-done',
    '--http-port',
    '0',
    '--runs-dir',
    join(scratch, 'runs'),
  ]);
  assert.equal(await coordinator.exited, 0, 'the round completes');
  const record = onlyRunRecord(join(scratch, 'runs'));
  const recall = record.final.metrics['recall@20'];
  assert.ok(recall >= 0 && recall <= 1, `final Recall@20 ${recall}: the forged evaluation did not count`);

  const samples = await scrape(edge.http);
  const refused = (reason: string): number => metric(samples, 'strata_transport_refusals_total', { reason });
  assert.equal(refused('auth'), 5, 'impersonation, wrong region, shared token, revoked while connected, revoked');
  assert.equal(refused('duplicate'), 1);
  const rejected = (reason: string): number => metric(samples, 'strata_updates_rejected_total', { reason });
  assert.deepEqual([rejected('bad_weight'), rejected('stale'), rejected('sender')], [2, 1, 1], 'a negative weight, a negative row weight');
  assert.equal(metric(samples, 'strata_updates_clipped_total', { reason: 'weight' }), 1, 'the inflated weight counts as the cap');
  assert.equal(metric(samples, 'strata_updates_accepted_total'), 4, 'the two honest devices, the clipped one, the evaluation forger');
  assert.ok(
    metric(samples, 'strata_evaluations_rejected_total', { reason: 'bad_metrics' }) >= 1,
    'a count of 1e9 with a NaN metric is refused (as are the forgers answering evaluation with updates)',
  );
});

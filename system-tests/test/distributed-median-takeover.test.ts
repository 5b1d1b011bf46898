// Model replacement against an edge on the median (separate processes, real Redis): a device sends rows that
// no honest device sends, moved by 5, with a weight of 1e12. Before rows needed support, the median of a row
// only the attacker held was the attacker's: half a model replaced in one round. Now a row held by fewer than
// three updates is left as it was, and the attacker itself reports what it was sent back.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fileDeployment, waitForHealth } from './distributed-support.js';

const { deployment, scratch } = fileDeployment('median-takeover');
const REGION = 'region-1';

test('a median edge: rows only an attacker sends (weight 1e12) never reach the model', { timeout: 90_000 }, async () => {
  const edge = await deployment.edge(REGION, ['--strategy', 'median']);
  await deployment.devices(REGION, [edge.url], 0, [], 3);
  const attacker = deployment.hostileDevice(edge.url, REGION, 'device-77', 'row-takeover');
  await attacker.waitForMessage('connected');
  await waitForHealth(edge.http, (h) => h.devices === 4, '3 honest devices and the attacker');
  const coordinator = deployment.start('coordinator', [
    'coordinator',
    '--regions',
    REGION,
    '--rounds',
    '2',
    '--eval-every',
    '0',
    // Norm clipping off: the median's own rule is what is tested (clipping would also bound these rows).
    '--clip-factor',
    '0',
    '--update-clip-factor',
    '0',
    '--exit-when-done',
    '--http-port',
    '0',
    '--runs-dir',
    join(scratch, 'runs'),
  ]);
  assert.equal(await coordinator.exited, 0, 'the rounds complete');
  // It was sent the model of rounds 1 and 2 and of the final evaluation: the rows it moved by 5 stayed put.
  const seen = attacker.lines.filter((line) => line.msg === 'model seen');
  assert.deepEqual(
    seen.map((line) => line.kind),
    ['train', 'train', 'evaluate'],
  );
  process.stderr.write(`attacked rows' largest value in each model sent: ${seen.map((l) => l.maxAbs).join(', ')}\n`);
  // Honest training moves them by well under 1 in two rounds (0.2 to 0.7 at this seed); taken over, they are 5 away.
  for (const line of seen) assert.ok((line.maxAbs as number) < 2, `the attacked rows reached ${line.maxAbs}`);
});

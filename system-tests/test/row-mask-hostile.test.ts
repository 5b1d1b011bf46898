// Row masks (issue 16) from hostile processes, on real sockets and a real Redis: devices, each its own process
// on a real edge daemon, send the rows of their update named by a bitmask (row_mask), one as an honest encoder
// does and the others breaking one rule each (a mask beside row indices, a mask of the wrong length, a bit
// past the table, one row more set than the data holds, a mask on a dense tensor). The honest one is
// accepted; each forgery is refused with a reason that names it and counted in the edge's /metrics, while
// the honest devices' round completes and the edge serves on.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fileDeployment, getJson, metric, scrape, waitForHealth } from './distributed-support.js';
import { DEVICE_ROW_MASK_FORGERIES, MASKED_ROWS } from './row-mask-forgeries.js';

const { deployment, scratch } = fileDeployment('row-mask-hostile');

/** Why each forgery is refused (the edge's log names it); every one is counted as malformed. */
const DEVICE_REFUSALS: Record<string, RegExp> = {
  'row-mask-and-indices': /both row_indices \(400 bytes\) and row_mask \(211 bytes\) given, at most one may be/,
  'row-mask-short': /row_mask has 210 bytes, expected 211 for 1682 rows/,
  'row-mask-past-end': /row_mask sets a row past the last \(1681\)/,
  'row-mask-extra-row': new RegExp(`data has \\d+ bytes, expected \\d+ \\(${MASKED_ROWS + 1} rows set in row_mask of shape`),
  'row-mask-on-dense': /row_mask given \(211 bytes\) but the tensor is not sparse/,
  'bfloat16-float32-bytes': new RegExp(
    `data has \\d+ bytes, expected \\d+ \\(${MASKED_ROWS} rows set in row_mask of shape .* as bfloat16\\)`,
  ),
  'bfloat16-nan': /has the non-finite value NaN at index 0/,
};

/** The reason each refusal is counted under: a NaN decodes well and is refused as non-finite, the rest as malformed. */
const reasonOf = (behaviour: string): string => (behaviour === 'bfloat16-nan' ? 'non_finite' : 'malformed');

test('a device process naming its rows by a row mask is heard; every forged mask is refused at the edge, named and counted', {
  timeout: 120_000,
}, async () => {
  const behaviours = Object.keys(DEVICE_ROW_MASK_FORGERIES);
  assert.deepEqual(Object.keys(DEVICE_REFUSALS).sort(), behaviours.filter((b) => b !== 'row-mask-honest').sort());
  const edge = await deployment.edge('region-1');
  await deployment.devices('region-1', [edge.url], 0, [], 2);
  const senders = behaviours.map((behaviour, i) => deployment.hostileDevice(edge.url, 'region-1', `device-${60 + i}`, behaviour));
  for (const sender of senders) await sender.waitForMessage('connected', 60_000);
  const expected = 2 + senders.length;
  await waitForHealth(edge.http, (h) => h.devices === expected, `2 honest and ${senders.length} row-mask devices`);

  const coordinator = deployment.startRun(join(scratch, 'runs'), ['--regions', 'region-1', '--rounds', '1', '--eval-every', '0']);
  assert.equal(await coordinator.exited, 0, 'the round completes');

  const rejections = edge.daemon.lines.filter((line) => line.msg === 'device update rejected');
  for (const [behaviour, error] of Object.entries(DEVICE_REFUSALS)) {
    const id = `device-${60 + behaviours.indexOf(behaviour)}`;
    const line = rejections.find((l) => l.deviceId === id);
    assert.ok(line, `${behaviour} (${id}) is refused; rejections: ${JSON.stringify(rejections)}`);
    assert.equal(line.reason, reasonOf(behaviour), behaviour);
    assert.match(String(line.error), error, behaviour);
  }
  const honestId = `device-${60 + behaviours.indexOf('row-mask-honest')}`;
  assert.equal(
    rejections.find((l) => l.deviceId === honestId),
    undefined,
    'the honest row mask is not refused',
  );

  const samples = await scrape(edge.http);
  assert.equal(metric(samples, 'strata_updates_rejected_total', { reason: 'malformed' }), Object.keys(DEVICE_REFUSALS).length - 1);
  assert.equal(metric(samples, 'strata_updates_rejected_total', { reason: 'non_finite' }), 1, 'the bfloat16 NaN');
  assert.equal(metric(samples, 'strata_updates_accepted_total'), 3, 'both honest updates and the masked one');
  assert.equal(metric(samples, 'strata_edge_jobs_total', { kind: 'edge-round', outcome: 'done' }), 1);
  const health = await getJson(`${edge.http}/healthz`);
  assert.equal(health.ok, true);
  assert.equal(health.devices, expected, 'no device was cut off: the edge serves on');
});

// Held-back rows (issue 16) from hostile processes, on real sockets and a real Redis. Devices, each its own
// process on a real edge daemon, send zero rows that break one rule each (a mask bit past the table, a mask
// of the wrong length, a bit on a row also sent, a mask on a dense tensor, zero-row weights of the wrong
// count, without row weights or without a mask, NaN, negative, 1e12): each is refused with a reason that
// names it and counted in the edge's /metrics (the 1e12 weight clipped to the task's cap and counted), while
// the honest devices' round completes. Then edges, run as one hostile process taking three regions' jobs from
// a real coordinator, send zero-row and row weights that are negative, NaN, above what the one device answer
// they claim can weigh, or of the wrong count, and an update weight above it: each refused and counted by the
// coordinator, whose round is the honest edge's.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { TEST_REDIS_URL } from '@strata/runtime/testing';
import { DaemonProcess, fileDeployment, getJson, metric, scrape, waitForHealth, type LogLine } from './distributed-support.js';
import { DEVICE_ZERO_ROW_FORGERIES, EDGE_ZERO_ROW_FORGERIES } from './zero-row-forgeries.js';

const { deployment, scratch } = fileDeployment('zero-rows-hostile');
const ROUND = ['--rounds', '1', '--eval-every', '0', '--exit-when-done', '--http-port', '0'];

/** Why each device forgery is refused (the edge's log names it), and under which counted reason. */
const DEVICE_REFUSALS: Record<string, { reason: string; error: RegExp }> = {
  'zero-mask-past-end': { reason: 'malformed', error: /zero_row_mask sets a row past the last \(1681\)/ },
  'zero-mask-short': { reason: 'malformed', error: /zero_row_mask has 210 bytes, expected 211 for 1682 rows/ },
  'zero-mask-on-sent-row': { reason: 'malformed', error: /row 0 is both in row_indices and in zero_row_mask/ },
  'zero-mask-on-dense': { reason: 'malformed', error: /zero_row_mask or zero_row_weights given on a dense tensor/ },
  'zero-weights-count': { reason: 'malformed', error: /zero_row_weights has 1 values for 2 zero rows/ },
  'zero-weights-unweighted-rows': { reason: 'malformed', error: /zero_row_weights must be given exactly when row_weights are/ },
  'zero-weights-without-mask': { reason: 'malformed', error: /zero_row_weights given without zero_row_mask/ },
  'zero-weight-nan': { reason: 'non_finite', error: /non-finite zero-row weight NaN for row 2/ },
  'zero-weight-negative': { reason: 'bad_weight', error: /negative zero row weight -1 for row 2/ },
};

/** Why each edge forgery is refused at the cloud. */
const EDGE_REFUSALS: Record<string, { reason: string; error: RegExp }> = {
  'edge-zero-weight-negative': { reason: 'bad_weight', error: /zero row weight -1 for row 2: negative/ },
  'edge-zero-weight-nan': { reason: 'non_finite', error: /non-finite zero-row weight NaN for row 2/ },
  'edge-zero-weight-inflated': { reason: 'bad_weight', error: /zero row weight \d+ for row 2: more than its 1 device answers can weigh/ },
  'edge-row-weight-inflated': { reason: 'bad_weight', error: /has the row weight \d+ for row 0: more than its 1 device answers can weigh/ },
  'edge-weight-inflated': { reason: 'bad_weight', error: /edge update weight \d+ is more than its 1 device answers can weigh/ },
  'edge-zero-weights-count': { reason: 'malformed', error: /zero_row_weights has 3 values for 2 zero rows/ },
};

const counts = (refusals: Record<string, { reason: string }>): Record<string, number> => {
  const by: Record<string, number> = {};
  for (const { reason } of Object.values(refusals)) by[reason] = (by[reason] ?? 0) + 1;
  return by;
};

test('every forged zero row from a device process is refused at the edge, named and counted, and the round completes', {
  timeout: 120_000,
}, async () => {
  assert.deepEqual(
    Object.keys(DEVICE_REFUSALS).sort(),
    Object.keys(DEVICE_ZERO_ROW_FORGERIES)
      .filter((b) => b !== 'zero-weight-inflated')
      .sort(),
  );
  const edge = await deployment.edge('region-1');
  await deployment.devices('region-1', [edge.url], 0, [], 2);
  const forgers = Object.keys(DEVICE_ZERO_ROW_FORGERIES).map((behaviour, i) =>
    deployment.hostileDevice(edge.url, 'region-1', `device-${50 + i}`, behaviour),
  );
  for (const forger of forgers) await forger.waitForMessage('connected', 60_000);
  const expected = 2 + forgers.length;
  await waitForHealth(edge.http, (h) => h.devices === expected, `2 honest and ${forgers.length} forging devices`);

  const coordinator = deployment.start('coordinator', [
    'coordinator',
    '--regions',
    'region-1',
    ...ROUND,
    '--runs-dir',
    join(scratch, 'runs-1'),
  ]);
  assert.equal(await coordinator.exited, 0, 'the round completes');

  // Each forgery's refusal, in the edge's log, names what is wrong with it.
  const rejections = edge.daemon.lines.filter((line) => line.msg === 'device update rejected');
  for (const [behaviour, { reason, error }] of Object.entries(DEVICE_REFUSALS)) {
    const id = `device-${50 + Object.keys(DEVICE_ZERO_ROW_FORGERIES).indexOf(behaviour)}`;
    const line = rejections.find((l) => l.deviceId === id);
    assert.ok(line, `${behaviour} (${id}) is refused; rejections: ${JSON.stringify(rejections)}`);
    assert.equal(line.reason, reason, behaviour);
    assert.match(String(line.error), error, behaviour);
  }

  const samples = await scrape(edge.http);
  for (const [reason, n] of Object.entries(counts(DEVICE_REFUSALS))) {
    assert.equal(metric(samples, 'strata_updates_rejected_total', { reason }), n, `${reason} refusals`);
  }
  assert.equal(
    metric(samples, 'strata_updates_clipped_total', { reason: 'row_weight' }),
    1,
    'the 1e12 zero-row weight, clipped to the cap',
  );
  assert.equal(metric(samples, 'strata_updates_accepted_total'), 3, 'both honest updates and the clipped one');
  assert.equal(metric(samples, 'strata_edge_jobs_total', { kind: 'edge-round', outcome: 'done' }), 1);
  const health = await getJson(`${edge.http}/healthz`);
  assert.equal(health.ok, true);
  assert.equal(health.devices, expected, 'no device was cut off: the edge serves on');
});

test('every forged weight from a hostile edge process is refused at the coordinator, named and counted', { timeout: 120_000 }, async () => {
  assert.deepEqual(Object.keys(EDGE_REFUSALS).sort(), Object.keys(EDGE_ZERO_ROW_FORGERIES).sort());
  const regions = Object.keys(EDGE_ZERO_ROW_FORGERIES).map((_, i) => `region-${10 + i}`);
  const honest = await deployment.edge('region-2');
  await deployment.devices('region-2', [honest.url], 2, [], 2);
  await waitForHealth(honest.http, (h) => h.devices === 2, '2 honest devices');
  const hostile = new DaemonProcess('hostile edges', join(import.meta.dirname, 'hostile-edge.js'), [
    TEST_REDIS_URL,
    deployment.prefix,
    Object.keys(EDGE_ZERO_ROW_FORGERIES)
      .map((behaviour, i) => `${regions[i]}=${behaviour}`)
      .join(','),
  ]);
  deployment.processes.push(hostile);
  await hostile.waitForMessage('working');

  const coordinator = deployment.start('coordinator', [
    'coordinator',
    '--regions',
    ['region-2', ...regions].join(','),
    ...ROUND,
    '--runs-dir',
    join(scratch, 'runs-2'),
    '--reset', // the first test's run is in the same store
  ]);
  const done = await coordinator.waitForMessage('cloud round done', 90_000);
  assert.equal(await coordinator.exited, 0, 'the round completes');
  const participation = done.participation as { edgesAnswered: number; edgeRejections: Record<string, number> };
  assert.equal(participation.edgesAnswered, 1, "the honest edge's update is the round's");
  assert.deepEqual(participation.edgeRejections, counts(EDGE_REFUSALS));

  const rejections = coordinator.lines.filter((line: LogLine) => line.msg === 'edge update rejected');
  for (const [behaviour, { reason, error }] of Object.entries(EDGE_REFUSALS)) {
    const region = regions[Object.keys(EDGE_ZERO_ROW_FORGERIES).indexOf(behaviour)];
    const line = rejections.find((l) => String(l.blobKey).endsWith(`:${region}`));
    assert.ok(line, `${behaviour} (${region}) is refused; rejections: ${JSON.stringify(rejections)}`);
    assert.equal(line.reason, reason, behaviour);
    assert.match(String(line.error), error, behaviour);
  }
});

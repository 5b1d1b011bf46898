// The links' entropy stage against hostile devices (separate processes, a real edge daemon, real Redis): a
// Compressed frame of about 25 KB that brotli would expand to 128 MiB is refused as a decompression
// bomb, both when it declares that size and when it lies (declaring an honest update's size, so only the
// decoder's bounded output stops it); the edge never holds the expansion, counts each as malformed, and keeps
// serving its honest devices, whose brotli-compressed updates complete the round.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileDeployment, getJson, metric, scrape, waitForHealth } from './distributed-support.js';

const { deployment, scratch: runsDir } = fileDeployment('entropy-bomb');

test('decompression bombs from device processes are refused, named, counted, and the edge keeps serving', {
  timeout: 180_000,
}, async () => {
  const edge = await deployment.edge('region-1');
  await deployment.devices('region-1', [edge.url], 0, [], 2);
  const bombers = ['bomb-declared', 'bomb-lying'].map((behaviour, i) =>
    deployment.hostileDevice(edge.url, 'region-1', `device-${90 + i}`, behaviour),
  );
  for (const bomber of bombers) await bomber.waitForMessage('connected');
  await waitForHealth(edge.http, (h) => h.devices === 4, '2 honest devices and 2 bombers');
  const peakMiB = (): number => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${edge.daemon.pid}/status`, 'utf8'))?.[1]) / 1024;
  const before = peakMiB();

  const coordinator = deployment.startRun(runsDir, ['--regions', 'region-1', '--rounds', '1', '--eval-every', '0']);
  assert.equal(await coordinator.exited, 0, 'the round completes');
  for (const bomber of bombers) await bomber.waitForMessage('bomb built');

  const samples = await scrape(edge.http);
  assert.ok(metric(samples, 'strata_updates_rejected_total', { reason: 'malformed' }) >= 2, 'both bombs refused as malformed');
  assert.equal(metric(samples, 'strata_updates_accepted_total'), 2, 'both honest updates');
  const refusals = edge.daemon.lines.filter((line) => line.msg === 'device update rejected').map((line) => String(line.error));
  const declared = refusals.find((error) => error.includes('declares 134217728 bytes expanded'));
  assert.ok(declared?.includes('(a decompression bomb)'), `the declared bomb is named: ${refusals.join(' | ')}`);
  assert.ok(
    refusals.some((error) => error.includes('does not expand to its declared') && error.includes('decompression bomb')),
    `the lying bomb is stopped by the bounded decoder: ${refusals.join(' | ')}`,
  );
  // An expanded bomb (128 MiB) would show in the edge's peak RSS; bounded decoding allocates at most the
  // bound (3 × the model + 64 KiB), so the peak grows only by what the honest round needs.
  const growth = peakMiB() - before;
  process.stderr.write(`edge peak RSS ${before.toFixed(0)} MiB before the round, grew ${growth.toFixed(0)} MiB with two bombs\n`);
  assert.ok(growth < 64, `edge peak RSS grew ${growth.toFixed(0)} MiB`);

  const health = await getJson(`${edge.http}/healthz`);
  assert.equal(health.ok, true, 'the edge keeps serving');
  assert.equal(health.devices, 4, 'every device still connected');
});

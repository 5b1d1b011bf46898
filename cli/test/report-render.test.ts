import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { RunRecord } from '@strata/shared';
import { createLogger, writeRunRecord } from '@strata/runtime';
import { createSimulationTask, parseTopology, Simulation } from '@strata/simulator';
import { formatDuration, higherIsBetter, renderRunReport, writeRunReport } from '../src/report/index.js';

const scratch = mkdtempSync(join(tmpdir(), 'strata-report-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

// A 2 × 2 RGBA PNG (red, green / blue, white), written as raw bytes so the test needs no image library.
const PNG_BASE64 = 'iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAYAAABytg0kAAAAEklEQVR4nGP4z8DwHwyBNBgAAEnICff5q7YNAAAAAElFTkSuQmCC';

function synthetic(id: string, overrides: Partial<RunRecord> = {}): RunRecord {
  const rounds = Array.from({ length: 8 }, (_, i) => ({
    round: i + 1,
    wallSeconds: 1.5 * (i + 1),
    simSeconds: 12 * (i + 1),
    bytes: { deviceEdge: 400_000 + 10_000 * i, edgeCloud: 120_000, deviceEdgeUp: 300_000 },
    metrics: { loss: 0.7 - 0.05 * i, 'recall@20': 0.1 + 0.02 * i, 'ndcg@20': 0.12 + 0.015 * i },
  }));
  return {
    id,
    task: 'recsys/bpr-mf',
    mode: 'simulated',
    startedAt: '2026-01-02T03:04:05.000Z',
    config: { seed: 7, rounds: 8, devices: 100 },
    environment: { node: 'v20.19.0', cpus: 2 },
    rounds,
    final: { metrics: { 'recall@20': 0.25, 'ndcg@20': 0.22, loss: 0.35 }, wallSeconds: 12.5 },
    baselines: { centralized: { 'recall@20': 0.3, 'ndcg@20': 0.27 }, popularity: { 'recall@20': 0.2 } },
    ...overrides,
  };
}

function figures(html: string, metric: string): string[] {
  return [...html.matchAll(/<figure class="chart-card" data-metric="([^"]*)" data-axis="([^"]*)">(.*?)<\/figure>/gs)]
    .filter((m) => m[1] === metric)
    .map((m) => m[3]);
}

test('a report has a chart per metric against rounds and simulated time, with baselines dashed', () => {
  const html = renderRunReport(synthetic('run-a'), { runDir: scratch });
  for (const metric of ['loss', 'recall@20', 'ndcg@20']) {
    const charts = figures(html, metric);
    assert.equal(charts.length, 2, `${metric}: by round and by simulated time`);
    for (const svg of charts) assert.match(svg, /^<svg [^>]*>.*<\/svg>$/s);
  }
  assert.match(html, /data-axis="simSeconds"/);
  const [recall] = figures(html, 'recall@20');
  assert.equal(recall.match(/class="hline"/g)?.length, 2, 'centralized and popularity');
  assert.match(recall, />centralized \(baseline\)</);
  const [loss] = figures(html, 'loss');
  assert.doesNotMatch(loss, /class="hline"/, 'no baseline reports loss');
  assert.match(html, /data-chart="bytes"/);
});

test('without simulated time there is no time-axis variant', () => {
  const record = synthetic('run-b');
  record.rounds = record.rounds.map(({ simSeconds: _, ...round }) => round);
  const html = renderRunReport(record, { runDir: scratch });
  assert.doesNotMatch(html, /data-axis="simSeconds"/);
  assert.equal(figures(html, 'loss').length, 1);
});

test('the final-metrics table shows each baseline and the gap to it, better or worse by metric direction', () => {
  const html = renderRunReport(synthetic('run-c'), { runDir: scratch });
  const table = html.slice(html.indexOf('<h2>Final metrics</h2>'), html.indexOf('<h2>Metrics over training</h2>'));
  assert.match(table, /<th class="num">gap to centralized<\/th>/);
  assert.match(table, /<td class="num gap worse"[^>]*>−0\.05 \(−16\.7%\)<\/td>/, 'recall 0.25 vs 0.30');
  assert.match(table, /<td class="num gap better"[^>]*>\+0\.05 \(\+25\.0%\)<\/td>/, 'recall 0.25 vs popularity 0.20');
  assert.equal(higherIsBetter('loss'), false);
  assert.equal(higherIsBetter('psnr'), true);
});

test('user text is escaped everywhere: config, task, baseline, metric and caption', () => {
  const evil = '<script>alert(1)</script>';
  const record = synthetic('run-<x>', {
    task: `task ${evil}`,
    config: { note: evil, nested: { name: `"><img src=x onerror=alert(1)>` } },
    baselines: { [evil]: { 'recall@20': 0.3 } },
    artifacts: [{ path: 'missing.png', caption: evil, kind: 'image' }],
  });
  record.rounds[0].metrics[evil] = 1;
  const html = renderRunReport(record, { runDir: scratch });
  assert.doesNotMatch(html, /<script/i);
  assert.doesNotMatch(html, /<img src=x/);
  assert.match(html, /&quot;note&quot;: &quot;&lt;script&gt;alert\(1\)&lt;\/script&gt;&quot;/);
  assert.match(html, /<h1>task &lt;script&gt;alert\(1\)&lt;\/script&gt;<\/h1>/);
});

test('the page is self-contained: no scripts, stylesheets, fonts or remote URLs', () => {
  const html = renderRunReport(synthetic('run-d'), { runDir: scratch });
  assert.doesNotMatch(html, /<script|<link|@import|url\(/i);
  for (const m of html.matchAll(/\b(?:src|href)="([^"]*)"/g)) assert.match(m[1], /^(data:|\.\/)/, m[1]);
  assert.match(html, /Content-Security-Policy" content="default-src 'none'/);
});

test('image artifacts are embedded as data URIs; paths outside the run folder are not read', () => {
  const runDir = join(scratch, 'with-artifacts');
  const record = synthetic('run-e', {
    artifacts: [
      { path: 'views/test-000.png', caption: 'held-out view 0', kind: 'image' },
      { path: '../secret.png', caption: 'escape attempt', kind: 'image' },
      { path: 'metrics.csv', caption: 'raw metrics', kind: 'data' },
    ],
  });
  writeRunRecord(scratch, { ...record, id: 'with-artifacts' });
  const png = Buffer.from(PNG_BASE64, 'base64');
  writeFileSync(join(scratch, 'secret.png'), Buffer.concat([png, Buffer.from('secret')]));
  mkdirSync(join(runDir, 'views'));
  writeFileSync(join(runDir, 'views', 'test-000.png'), png);
  writeFileSync(join(runDir, 'metrics.csv'), 'round,loss\n1,0.5\n');
  const html = renderRunReport(record, { runDir });
  assert.ok(html.includes(`<img src="data:image/png;base64,${PNG_BASE64}"`));
  assert.equal(html.match(/<img /g)?.length, 1, 'only the image inside the run folder');
  assert.match(html, /outside the run folder/);
  assert.match(html, /href="\.\/metrics\.csv"/);
  assert.match(html, /held-out view 0/);
});

test('compare mode overlays every run on the same charts, with a legend and a comparison table', () => {
  const a = synthetic('2026-run-alpha');
  const b = synthetic('2026-run-beta', { mode: 'centralized' });
  b.rounds = b.rounds
    .slice(0, 5)
    .map((round) => ({ ...round, metrics: { ...round.metrics, 'recall@20': round.metrics['recall@20'] + 0.05 } }));
  const html = renderRunReport(a, { runDir: scratch, compareWith: [b] });
  for (const metric of ['loss', 'recall@20', 'ndcg@20']) {
    for (const svg of figures(html, metric)) {
      assert.equal(svg.match(/<g class="series"/g)?.length, 2, metric);
      assert.match(svg, /data-series="2026-run-alpha"/);
      assert.match(svg, /data-series="2026-run-beta"/);
      assert.match(svg, /<g class="legend-entry">.*>2026-run-alpha<\/text>.*>2026-run-beta<\/text>/s);
    }
  }
  const bytes = /data-chart="bytes">(.*?)<\/figure>/s.exec(html)?.[1] ?? '';
  assert.match(bytes, />2026-run-beta · device ↔ edge</);
  assert.equal(bytes.match(/<rect class="bar"/g)?.length, 8 * 2 + 5 * 2, 'deviceEdgeUp is a breakdown of deviceEdge, not stacked on it');
  assert.match(html, /<h2>Runs compared<\/h2>/);
  const single = renderRunReport(a, { runDir: scratch });
  assert.doesNotMatch(single, /Runs compared/);
  assert.match(single, /data-series="this run"/);
});

test('writeRunReport writes report.html beside run.json and returns its path', () => {
  const record = synthetic('written');
  const runDir = writeRunRecord(scratch, record);
  const path = writeRunReport(runDir, record);
  assert.equal(path, join(runDir, 'report.html'));
  assert.equal(dirname(path), runDir);
  assert.ok(existsSync(join(runDir, 'run.json')));
  const html = readFileSync(path, 'utf8');
  assert.match(html, /^<!doctype html>/);
  assert.match(html, /<h1>recsys\/bpr-mf<\/h1>/);
});

test('a record with no rounds, no baselines and no artifacts still renders', () => {
  const html = renderRunReport(synthetic('bare', { rounds: [], baselines: undefined, artifacts: undefined }), { runDir: scratch });
  assert.match(html, /No per-round metrics recorded/);
  assert.match(html, /No rounds recorded/);
  assert.match(html, /No artifacts/);
  assert.doesNotMatch(html, /NaN/);
});

test('formatDuration reads naturally across scales', () => {
  assert.equal(formatDuration(0.85), '850 ms');
  assert.equal(formatDuration(42.31), '42.3 s');
  assert.equal(formatDuration(187), '3 min 07 s');
  assert.equal(formatDuration(7500), '2 h 05 min');
  assert.equal(formatDuration(Number.NaN), '—');
});

test("a simulated run's report plots accuracy against simulated time, the participation timeline and device-cloud bytes", async () => {
  const loaded = parseTopology(
    {
      name: 'flat-town',
      seed: 3,
      task: { data: { synthetic: { items: 80, communities: 3 } }, options: { dim: 8 } },
      schedule: { rounds: 2, edgeDeadlineSeconds: 600, roundDeadlineSeconds: 3600, evalEvery: 1 },
      links: { home: { latencyMs: 10, upMbps: 10, downMbps: 50 } },
      regions: { cloud: {}, east: {} },
      cloud: { region: 'cloud' },
      edges: [{ id: 'cloud', region: 'cloud' }],
      devices: [{ group: 'homes', edge: 'cloud', region: 'east', count: 12, link: 'home', compute: { speed: 1 } }],
    },
    { baseDir: '.' },
  );
  const { task, baselines } = await createSimulationTask(loaded.topology);
  const record = await new Simulation({ loaded, task, logger: createLogger('test', 'silent'), baselines }).run();
  const html = renderRunReport(record, { runDir: '.' });
  assert.match(html, /data-axis="simSeconds"/);
  assert.match(html, /data-chart="participation"/);
  assert.match(html, /device ↔ cloud/);
});

test('gaps that round to 0.0% are neither better nor worse; byte counters read as links', () => {
  const record = synthetic('2026-gaps', {
    baselines: { centralized: { 'recall@20': 0.24, 'ndcg@20': 0.0 } },
    final: { metrics: { 'recall@20': 0.240_01, 'ndcg@20': 0.2 }, wallSeconds: 10 },
  });
  const html = renderRunReport(record, { runDir: '.' });
  assert.match(html, /class="num gap even"[^>]*>±1\.00e-5 \(±0\.0%\)/);
  assert.doesNotMatch(html, /gap worse[^>]*>−0\.0000/);
  assert.match(html, /bytes device ↔ edge/);
  assert.doesNotMatch(html, /deviceEdgeUp bytes|\(total\)/);
});

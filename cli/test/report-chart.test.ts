import { test } from 'node:test';
import assert from 'node:assert/strict';
import { barChart, formatBytes, formatBytesTick, formatNumberTick, lineChart, niceTicks } from '../src/report/index.js';

test('niceTicks: 1-2-5 steps on hand-checked ranges', () => {
  assert.deepEqual(niceTicks(0, 10).ticks, [0, 2, 4, 6, 8, 10]);
  assert.deepEqual(niceTicks(0.13, 0.87).ticks, [0, 0.2, 0.4, 0.6, 0.8, 1]);
  assert.deepEqual(niceTicks(-3, 7).ticks, [-4, -2, 0, 2, 4, 6, 8]);
  assert.deepEqual(niceTicks(1234, 98765).ticks, [0, 20000, 40000, 60000, 80000, 100000]);
  assert.deepEqual(niceTicks(0.001, 0.0042).ticks, [0.001, 0.002, 0.003, 0.004, 0.005]);
  const scale = niceTicks(0.13, 0.87);
  assert.equal(scale.step, 0.2);
  assert.equal(scale.min, 0);
  assert.equal(scale.max, 1);
});

test('niceTicks: float noise adds no spurious tick', () => {
  // 0.3 / 0.1 is 2.9999999999999996 in floating point.
  assert.deepEqual(niceTicks(0, 0.3).ticks, [0, 0.1, 0.2, 0.3]);
  assert.deepEqual(niceTicks(0.1, 0.7, { count: 6 }).ticks, [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]);
});

test('niceTicks: a single value is widened around itself; integer axes never step below 1', () => {
  assert.deepEqual(niceTicks(5, 5).ticks, [4, 4.5, 5, 5.5, 6]);
  assert.deepEqual(niceTicks(0.35, 0.35).ticks, [0.25, 0.3, 0.35, 0.4, 0.45]);
  assert.deepEqual(niceTicks(0, 0).ticks, [-1, -0.5, 0, 0.5, 1]);
  assert.deepEqual(niceTicks(1, 3, { integer: true }).ticks, [1, 2, 3]);
  assert.deepEqual(niceTicks(3, 3, { integer: true }).ticks, [2, 3, 4]);
});

test('niceTicks: non-finite bounds fall back to the finite one or to [0, 1]', () => {
  assert.deepEqual(niceTicks(Number.NaN, Number.NaN).ticks, [0, 0.2, 0.4, 0.6, 0.8, 1]);
  assert.deepEqual(niceTicks(Infinity, -Infinity).ticks, [0, 0.2, 0.4, 0.6, 0.8, 1]);
  assert.deepEqual(niceTicks(Number.NaN, 5).ticks, [4, 4.5, 5, 5.5, 6]);
  assert.deepEqual(niceTicks(10, 0).ticks, [0, 2, 4, 6, 8, 10]);
});

test('tick labels share one unit and the decimals their step needs', () => {
  const bytes = niceTicks(0, 1.8e6);
  assert.deepEqual(
    bytes.ticks.map((t) => formatBytesTick(t, bytes)),
    ['0 MB', '0.5 MB', '1.0 MB', '1.5 MB', '2.0 MB'],
  );
  const small = niceTicks(0, 800);
  assert.deepEqual(
    small.ticks.map((t) => formatBytesTick(t, small)),
    ['0 B', '200 B', '400 B', '600 B', '800 B'],
  );
  const numbers = niceTicks(0.13, 0.87);
  assert.deepEqual(
    numbers.ticks.map((t) => formatNumberTick(t, numbers)),
    ['0', '0.2', '0.4', '0.6', '0.8', '1.0'],
  );
  const large = niceTicks(0, 45000);
  assert.deepEqual(
    large.ticks.map((t) => formatNumberTick(t, large)),
    ['0', '10k', '20k', '30k', '40k', '50k'],
  );
  assert.equal(formatBytes(512), '512 B');
  assert.equal(formatBytes(1500), '1.5 kB');
  assert.equal(formatBytes(2_345_678), '2.35 MB');
  assert.equal(formatBytes(Number.NaN), '—');
});

const base = { title: 'recall@20', xLabel: 'round', yLabel: 'recall@20' };

test('lineChart: one point draws a marker; empty series draw "no data"; NaN never reaches the SVG', () => {
  const one = lineChart([{ name: 'run', points: [{ x: 1, y: 0.25 }] }], base);
  assert.equal(one.match(/<circle/g)?.length, 1);
  assert.doesNotMatch(one, /NaN|Infinity/);
  for (const empty of [
    lineChart([], base),
    lineChart([{ name: 'run', points: [] }], base),
    lineChart([{ name: 'run', points: [{ x: 1, y: Number.NaN }] }], base),
  ]) {
    assert.match(empty, /^<svg [^>]*>.*<\/svg>$/s);
    assert.match(empty, />no data</);
    assert.doesNotMatch(empty, /NaN|Infinity/);
  }
});

test('lineChart: a NaN value breaks the line instead of joining across it', () => {
  const points = [1, 2, Number.NaN, 4, 5].map((y, i) => ({ x: i + 1, y }));
  const svg = lineChart([{ name: 'run', points }], base);
  const d = /<path d="([^"]+)"/.exec(svg.slice(svg.indexOf('class="series"')))?.[1] ?? '';
  assert.equal(d.match(/M/g)?.length, 2);
  assert.equal(svg.match(/<circle/g)?.length, 4);
  assert.doesNotMatch(svg, /NaN/);
});

test('lineChart: horizontal lines are dashed, in the legend, and inside the y range', () => {
  const svg = lineChart(
    [
      {
        name: 'run',
        points: [
          { x: 1, y: 0.1 },
          { x: 2, y: 0.3 },
        ],
      },
    ],
    { ...base, hLines: [{ name: 'centralized', y: 0.9 }] },
  );
  assert.match(svg, /<line class="hline"[^>]*stroke-dasharray="6 4"/);
  assert.match(svg, /<text[^>]*>centralized<\/text>/);
  assert.match(svg, /<text[^>]*>1\.0<\/text>/, 'the y axis reaches up to the baseline at 0.9');
});

test('lineChart: series names and titles are escaped', () => {
  const svg = lineChart([{ name: '<script>x</script>', points: [{ x: 1, y: 1 }] }], { ...base, title: 'a & <b>' });
  assert.doesNotMatch(svg, /<script|<b>/);
  assert.match(svg, /&lt;script&gt;x&lt;\/script&gt;/);
  assert.match(svg, /a &amp; &lt;b&gt;/);
});

function rects(svg: string): { x: number; y: number; height: number }[] {
  return [...svg.matchAll(/<rect class="bar" x="([\d.]+)" y="([\d.]+)" width="[\d.]+" height="([\d.]+)"/g)].map((m) => ({
    x: Number(m[1]),
    y: Number(m[2]),
    height: Number(m[3]),
  }));
}

test('barChart: stacked series sit on top of each other in proportion', () => {
  const svg = barChart(
    ['1'],
    [
      { name: 'deviceEdge', values: [1000] },
      { name: 'edgeCloud', values: [3000] },
    ],
    { ...base, stacked: true },
  );
  const [lower, upper] = rects(svg);
  assert.equal(lower.x, upper.x);
  assert.ok(Math.abs(upper.height - 3 * lower.height) < 0.05, `${upper.height} vs 3 × ${lower.height}`);
  assert.ok(Math.abs(upper.y + upper.height - lower.y) < 0.05, 'the upper bar starts where the lower one ends');
});

test('barChart: grouped series stand side by side; stack keys group columns', () => {
  const grouped = rects(
    barChart(
      ['1', '2'],
      [
        { name: 'a', values: [1, 2] },
        { name: 'b', values: [3, 4] },
      ],
      base,
    ),
  );
  assert.equal(grouped.length, 4);
  assert.notEqual(grouped[0].x, grouped[1].x);
  const keyed = rects(
    barChart(
      ['1'],
      [
        { name: 'r1 a', stack: 'r1', values: [1] },
        { name: 'r1 b', stack: 'r1', values: [1] },
        { name: 'r2 a', stack: 'r2', values: [1] },
      ],
      base,
    ),
  );
  assert.equal(keyed[0].x, keyed[1].x);
  assert.notEqual(keyed[0].x, keyed[2].x);
});

test('barChart: no categories, no series or only NaN draw "no data"', () => {
  for (const svg of [barChart([], [], base), barChart(['1'], [], base), barChart(['1'], [{ name: 'a', values: [Number.NaN] }], base)]) {
    assert.match(svg, />no data</);
    assert.doesNotMatch(svg, /NaN/);
  }
});

test('barChart: category labels thin out so that they never overlap', () => {
  const categories = Array.from({ length: 200 }, (_, i) => String(i + 1));
  const svg = barChart(categories, [{ name: 'a', values: categories.map(Number) }], { ...base, width: 600 });
  const labels = [...svg.matchAll(/<text x="([\d.]+)" y="[\d.]+" text-anchor="middle" fill="#4b5563">/g)].map((m) => Number(m[1]));
  assert.ok(labels.length > 3 && labels.length < 40, `${labels.length} labels`);
  for (let i = 1; i < labels.length; i++) assert.ok(labels[i] - labels[i - 1] >= 3 * 7.2, 'room for three characters');
});

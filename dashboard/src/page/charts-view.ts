// Charts over rounds, drawn with uPlot (canvas, built for streaming series): training loss, the task's headline
// metrics (Recall/NDCG, or PSNR), and bytes per round by tier on a log scale (device traffic is hundreds of
// times the edge-cloud traffic). A chart is built once per set of series and then only gets new data.

import uPlot from 'uplot';
import type { RoundView } from '../server/dashboard-protocol.js';
import { el } from './dom.js';
import { formatBytes, formatNumber } from './format.js';
import type { RunData } from './live-model.js';

// The report's palette (Tableau 10), so a run looks the same in its report and here.
const COLORS = ['#4e79a7', '#f28e2b', '#e15759', '#59a14f', '#b07aa1', '#76b7b2', '#edc948', '#ff9da7', '#9c755f', '#bab0ac'];
const HEIGHT = 190;

interface ChartSpec {
  key: string;
  title: string;
  series: { name: string; value: (round: RoundView) => number | undefined }[];
  format: (value: number) => string;
  log?: boolean;
}

interface Chart {
  signature: string;
  plot: uPlot;
  figure: HTMLElement;
}

const TIER_LABELS: Record<string, string> = { deviceEdge: 'device ↔ edge', edgeCloud: 'edge ↔ cloud', evaluation: 'evaluation' };

export class ChartsView {
  private readonly charts = new Map<string, Chart>();
  private readonly resize: ResizeObserver;

  constructor(private readonly container: HTMLElement) {
    this.resize = new ResizeObserver((entries) => {
      for (const chart of this.charts.values()) {
        if (entries.some((e) => e.target === chart.figure)) chart.plot.setSize({ width: this.width(chart.figure), height: HEIGHT });
      }
    });
  }

  draw(data: RunData): void {
    const rounds = data.rounds().filter((r) => r.seconds !== undefined);
    const specs = chartSpecs(data, rounds);
    const keys = new Set(specs.map((s) => s.key));
    for (const [key, chart] of this.charts) {
      if (keys.has(key)) continue;
      this.remove(chart);
      this.charts.delete(key);
    }
    if (specs.length === 0) {
      if (!this.container.querySelector('.empty'))
        this.container.replaceChildren(
          el('div', { class: 'chart' }, el('div', { class: 'empty' }, 'Charts appear when the first round is committed.')),
        );
      return;
    }
    this.container.querySelector('.chart > .empty')?.parentElement?.remove();
    const x = rounds.map((r) => r.round);
    for (const spec of specs) {
      const values = spec.series.map((s) => rounds.map((r) => finite(s.value(r))));
      const signature = spec.series.map((s) => s.name).join('\n');
      let chart = this.charts.get(spec.key);
      if (chart && chart.signature !== signature) {
        this.remove(chart);
        chart = undefined;
      }
      const aligned: uPlot.AlignedData = [x, ...values];
      if (!chart) {
        const figure = el('figure', { class: 'chart', 'data-chart': spec.key }, el('h3', {}, spec.title));
        this.container.append(figure);
        chart = { signature, figure, plot: new uPlot(options(spec, this.width(figure)), aligned, figure) };
        this.charts.set(spec.key, chart);
        this.resize.observe(figure);
      } else {
        chart.plot.setData(aligned);
      }
      chart.figure.dataset.points = String(values[0].filter((v) => v !== null).length);
      chart.figure.dataset.lastRound = String(x.at(-1) ?? 0);
    }
  }

  private remove(chart: Chart): void {
    this.resize.unobserve(chart.figure);
    chart.plot.destroy();
    chart.figure.remove();
  }

  private width(figure: HTMLElement): number {
    return Math.max(260, Math.floor(figure.clientWidth || this.container.clientWidth / 2));
  }
}

function chartSpecs(data: RunData, rounds: readonly RoundView[]): ChartSpec[] {
  if (rounds.length === 0) return [];
  const metrics = [...new Set(rounds.flatMap((r) => Object.keys(r.metrics)))];
  const headline = data.run.headlineMetrics.filter((m) => metrics.includes(m));
  const evaluation = headline.length > 0 ? headline : metrics.filter((m) => m !== 'loss');
  const specs: ChartSpec[] = [];
  if (metrics.includes('loss')) {
    specs.push({ key: 'loss', title: 'Training loss', format: formatNumber, series: [{ name: 'loss', value: (r) => r.metrics.loss }] });
  }
  if (evaluation.length > 0) {
    specs.push({
      key: 'evaluation',
      title: `Held-out ${evaluation.join(' · ')}`,
      format: formatNumber,
      series: evaluation.map((name) => ({ name, value: (r) => r.metrics[name] })),
    });
  }
  const tiers = ['deviceEdge', 'edgeCloud', 'evaluation'].filter((t) => rounds.some((r) => (r.bytes[t] ?? 0) > 0));
  if (tiers.length > 0) {
    specs.push({
      key: 'bytes',
      title: 'Bytes per round by tier',
      format: formatBytes,
      log: true,
      series: tiers.map((tier) => ({ name: TIER_LABELS[tier] ?? tier, value: (r) => r.bytes[tier] })),
    });
  }
  if (rounds.some((r) => r.staleness || r.cloudStaleness)) {
    const series: ChartSpec['series'] = [];
    if (rounds.some((r) => r.staleness)) {
      series.push({ name: 'devices: mean τ', value: (r) => r.staleness?.mean }, { name: 'devices: max τ', value: (r) => r.staleness?.max });
    }
    if (rounds.some((r) => r.cloudStaleness)) {
      series.push(
        { name: 'edges: mean τ', value: (r) => r.cloudStaleness?.mean },
        { name: 'edges: max τ', value: (r) => r.cloudStaleness?.max },
      );
    }
    specs.push({
      key: 'staleness',
      title: 'Staleness of accepted updates (model versions behind)',
      format: formatNumber,
      series,
    });
  }
  if (rounds.some((r) => r.privacy)) {
    specs.push({
      key: 'privacy',
      title: 'Privacy spent: ε so far (central DP)',
      format: formatNumber,
      series: [{ name: 'ε', value: (r) => r.privacy?.epsilon }],
    });
  }
  return specs;
}

function options(spec: ChartSpec, width: number): uPlot.Options {
  return {
    width,
    height: HEIGHT,
    scales: { x: { time: false }, y: spec.log ? { distr: 3 } : {} },
    series: [
      { label: 'round', value: (_u, v) => (v === null ? '—' : String(v)) },
      ...spec.series.map(
        (s, i): uPlot.Series => ({
          label: s.name,
          stroke: COLORS[i % COLORS.length],
          width: 2,
          points: { show: true, size: 5 },
          value: (_u, v) => (v === null ? '—' : spec.format(v)),
        }),
      ),
    ],
    axes: [
      {
        stroke: '#6b7280',
        grid: { stroke: '#f1f2f4' },
        ticks: { stroke: '#e5e7eb' },
        incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000],
        values: (_u, splits) => splits.map(String),
      },
      {
        stroke: '#6b7280',
        grid: { stroke: '#eef0f3' },
        ticks: { stroke: '#e5e7eb' },
        size: 64,
        values: (_u, splits) => splits.map((v) => spec.format(v)),
        // On the log scale, lines at powers of ten only (uPlot's default adds 2..9 of each decade).
        ...(spec.log ? { splits: (_u: uPlot, _axis: number, min: number, max: number) => decades(min, max) } : {}),
      },
    ],
    legend: { show: true, live: true },
    cursor: { drag: { x: false, y: false } },
  };
}

function decades(min: number, max: number): number[] {
  const splits: number[] = [];
  for (let e = Math.floor(Math.log10(Math.max(min, 1e-12))); 10 ** e <= max * 1.0001; e++)
    if (10 ** e >= min * 0.9999) splits.push(10 ** e);
  return splits.length > 0 ? splits : [min, max];
}

function finite(value: number | undefined): number | null {
  return value === undefined || !Number.isFinite(value) ? null : value;
}

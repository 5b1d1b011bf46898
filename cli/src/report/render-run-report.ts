// One run (or several, overlaid) as a single self-contained HTML page: no scripts, fonts or network
// requests, charts as inline SVG, images as data URIs, so a report can be archived or mailed as one file.
// Charts come from the small SVG module beside this file rather than uPlot or Chart.js, which draw with
// scripts at view time.

import { byteCounterLabel } from './byte-labels.js';
import type { RunRecord } from '@strata/shared';
import { renderArtifactGallery } from './artifact-gallery.js';
import { renderParticipationSection } from './participation-timeline.js';
import {
  barChart,
  escapeMarkup,
  formatBytes,
  formatBytesTick,
  lineChart,
  seriesColor,
  tint,
  type BarSeries,
  type LineSeries,
} from './chart/index.js';
import { formatDuration } from './format-duration.js';
import { renderFinalMetricsTable, renderRoundsTable, renderRunComparisonTable } from './metrics-tables.js';
import { REPORT_STYLE } from './report-style.js';
import {
  byteTiers,
  hasSimTime,
  metricPoints,
  roundBytes,
  roundMetricNames,
  rounds,
  runLabels,
  topLevelTiers,
  totalBytes,
  type TimeAxis,
} from './run-series.js';

export interface RunReportOptions {
  /** The run's folder: artifact paths are relative to it. */
  runDir: string;
  /** Other runs whose curves are overlaid on this run's charts (`strata compare`). */
  compareWith?: readonly RunRecord[];
}

/** The shape shared by every section: the runs on show, their legend labels and colours. */
interface ReportRuns {
  records: RunRecord[];
  labels: string[];
  colors: string[];
}

const CHART_WIDTH = 560;
const CHART_HEIGHT = 300;

export function renderRunReport(record: RunRecord, options: RunReportOptions): string {
  const records = [record, ...(options.compareWith ?? [])];
  const runs: ReportRuns = {
    records,
    // One run needs no names in its legends; compared runs are told apart by id.
    labels: records.length === 1 ? ['this run'] : runLabels(records),
    colors: records.map((_, i) => seriesColor(i)),
  };
  const title = `${String(record.task)} · ${String(record.id)}`;
  const sections = [
    renderHeader(record),
    records.length > 1
      ? section('Runs compared', `<div class="table-card">${renderRunComparisonTable(records, runs.labels, runs.colors)}</div>`)
      : '',
    section('Final metrics', `<div class="table-card">${renderFinalMetricsTable(record)}</div>`),
    section('Metrics over training', renderMetricCharts(runs, record)),
    section('Communication', renderBytesChart(runs)),
    renderParticipationSection(runs.records, runs.labels, runs.colors),
    section('Rounds', renderRoundsTable(record)),
    section('Artifacts', renderArtifactGallery(record, options.runDir)),
    section('Configuration', renderJsonBlock('Resolved configuration', record.config) + renderJsonBlock('Environment', record.environment)),
  ];
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    // The page must not reach out for anything; this makes a slip (or a hostile value) fail closed.
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeMarkup(`Strata run: ${title}`)}</title>`,
    `<style>${REPORT_STYLE}</style>`,
    '</head><body><main>',
    ...sections,
    '</main></body></html>',
    '',
  ].join('\n');
}

function renderHeader(record: RunRecord): string {
  const tiers = byteTiers([record]);
  const facts: [string, string][] = [
    ['task', String(record.task)],
    ['mode', String(record.mode)],
    ['started', formatDate(record.startedAt)],
    ['wall time', formatDuration(record.final?.wallSeconds)],
    ['rounds', String(rounds(record).length)],
    ...tiers.map((t): [string, string] => [`bytes ${byteCounterLabel(t)}`, formatBytes(totalBytes(record, t))]),
  ];
  const environment = Object.entries(record.environment ?? {});
  return [
    '<header class="report">',
    '<p class="eyebrow">Strata run report</p>',
    `<h1>${escapeMarkup(String(record.task))}</h1>`,
    `<p class="subtitle">${escapeMarkup(String(record.id))}</p>`,
    renderFacts('facts', facts),
    environment.length > 0
      ? `<h3>Environment</h3>${renderFacts(
          'facts environment',
          environment.map(([k, v]) => [k, describe(v)]),
        )}`
      : '',
    '</header>',
  ].join('');
}

function renderFacts(className: string, facts: readonly [string, string][]): string {
  return `<dl class="${className}">${facts.map(([k, v]) => `<div><dt>${escapeMarkup(k)}</dt><dd>${escapeMarkup(v)}</dd></div>`).join('')}</dl>`;
}

/** One chart per metric against rounds, and against simulated time when some run records it. */
function renderMetricCharts(runs: ReportRuns, primary: RunRecord): string {
  const metrics = roundMetricNames(runs.records);
  if (metrics.length === 0) return '<p class="muted">No per-round metrics recorded.</p>';
  const axes: TimeAxis[] = runs.records.some(hasSimTime) ? ['round', 'simSeconds'] : ['round'];
  const baselines = Object.entries(primary.baselines ?? {});
  const figures = metrics.flatMap((metric) =>
    axes.map((axis) => {
      const series: LineSeries[] = runs.records.map((r, i) => ({
        name: runs.labels[i],
        color: runs.colors[i],
        points: metricPoints(r, metric, axis),
      }));
      const hLines = baselines
        .filter(([, values]) => metric in values)
        .map(([name, values]) => ({ name: `${name} (baseline)`, y: values[metric] }));
      const svg = lineChart(series, {
        title: axis === 'round' ? `${metric} by round` : `${metric} by simulated time`,
        xLabel: axis === 'round' ? 'round' : 'simulated time (s)',
        yLabel: metric,
        width: CHART_WIDTH,
        height: CHART_HEIGHT,
        hLines,
        integerX: axis === 'round',
      });
      return `<figure class="chart-card" data-metric="${escapeMarkup(metric)}" data-axis="${axis}">${svg}</figure>`;
    }),
  );
  return `<div class="charts">${figures.join('')}</div>`;
}

/**
 * Bytes per round, stacked by tier so a bar's height is the round's traffic. Compared runs stand side by
 * side in each round, each run in its own colour with lighter shades for its further tiers.
 */
function renderBytesChart(runs: ReportRuns): string {
  const tiers = topLevelTiers(byteTiers(runs.records));
  const roundNumbers = [...new Set(runs.records.flatMap((r) => rounds(r).map((round) => round.round)))].sort((a, b) => a - b);
  const single = runs.records.length === 1;
  const series: BarSeries[] = runs.records.flatMap((r, i) => {
    const byRound = new Map(rounds(r).map((round) => [round.round, round]));
    return tiers.map((tier, t) => ({
      name: single ? byteCounterLabel(tier) : `${runs.labels[i]} · ${byteCounterLabel(tier)}`,
      stack: runs.labels[i],
      color: single ? seriesColor(t) : tint(runs.colors[i], TIER_TINTS[t % TIER_TINTS.length]),
      values: roundNumbers.map((n) => {
        const round = byRound.get(n);
        return round === undefined ? Number.NaN : (roundBytes(round, tier) ?? Number.NaN);
      }),
    }));
  });
  const svg = barChart(roundNumbers.map(String), series, {
    title: 'Bytes per round by tier',
    xLabel: 'round',
    yLabel: 'bytes',
    width: CHART_WIDTH * 2,
    height: CHART_HEIGHT + 40,
    yFormat: formatBytesTick,
    valueFormat: formatBytes,
  });
  return `<div class="charts"><figure class="chart-card wide" data-chart="bytes">${svg}</figure></div>`;
}

const TIER_TINTS = [0, 0.45, 0.7, 0.25, 0.85];

function renderJsonBlock(summary: string, value: unknown): string {
  return `<details><summary>${escapeMarkup(summary)}</summary><pre class="json">${escapeMarkup(JSON.stringify(value ?? {}, null, 2))}</pre></details>`;
}

function section(heading: string, body: string): string {
  return `<h2>${escapeMarkup(heading)}</h2>${body}`;
}

function formatDate(iso: unknown): string {
  const date = new Date(String(iso));
  if (Number.isNaN(date.getTime())) return String(iso ?? '—');
  return date
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, ' UTC');
}

function describe(value: unknown): string {
  return typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
}

// The report's tables: final metrics against baselines, runs side by side (compare mode), and every round.

import { byteCounterLabel } from './byte-labels.js';
import type { RunRecord } from '@strata/shared';
import { escapeMarkup, formatBytes, formatNumber } from './chart/index.js';
import { formatDuration } from './format-duration.js';
import { higherIsBetter } from '@strata/shared';
import { byteTiers, finalMetricNames, hasSimTime, roundBytes, roundMetricNames, rounds, totalBytes } from './run-series.js';

/** Final metrics of the run with each baseline beside it and the run's gap to that baseline. */
export function renderFinalMetricsTable(record: RunRecord): string {
  const names = finalMetricNames(record);
  if (names.length === 0) return '<p class="muted">No final metrics.</p>';
  const baselines = Object.entries(record.baselines ?? {});
  const head = ['<th>metric</th>', '<th class="num">this run</th>'];
  for (const [name] of baselines)
    head.push(`<th class="num">${escapeMarkup(name)}</th>`, `<th class="num">gap to ${escapeMarkup(name)}</th>`);
  const rows = names.map((metric) => {
    const value = record.final?.metrics?.[metric];
    const cells = [`<th scope="row">${escapeMarkup(metric)}</th>`, `<td class="num strong">${formatNumber(value)}</td>`];
    for (const [, metrics] of baselines) {
      const reference = metrics[metric];
      cells.push(`<td class="num">${formatNumber(reference)}</td>`, renderGap(metric, value, reference));
    }
    return `<tr>${cells.join('')}</tr>`;
  });
  return table(head, rows);
}

function renderGap(metric: string, value: number | undefined, reference: number | undefined): string {
  if (value === undefined || reference === undefined || !Number.isFinite(value) || !Number.isFinite(reference))
    return '<td class="num muted">—</td>';
  const gap = value - reference;
  // A gap that rounds to 0.0% of the baseline is no gap: neither green nor red.
  const percent = reference !== 0 ? (gap / Math.abs(reference)) * 100 : gap === 0 ? 0 : Number.POSITIVE_INFINITY;
  const even = Math.abs(percent) < 0.05;
  const sign = even ? '±' : gap > 0 ? '+' : '−';
  const relative = reference !== 0 ? ` (${sign}${Math.abs(percent).toFixed(1)}%)` : '';
  const better = even ? 'even' : gap > 0 === higherIsBetter(metric) ? 'better' : 'worse';
  const title = even ? 'the same as the baseline (within 0.05%)' : `${better} than the baseline`;
  return `<td class="num gap ${better}" title="${title}">${sign}${formatNumber(Math.abs(gap))}${relative}</td>`;
}

/** One row per run (compare mode): its shape, cost and final metrics. `swatches` are the runs' colours. */
export function renderRunComparisonTable(records: readonly RunRecord[], labels: readonly string[], swatches: readonly string[]): string {
  const metrics = [...new Set(records.flatMap((r) => Object.keys(r.final?.metrics ?? {})))];
  const tiers = byteTiers(records);
  const head = ['<th>run</th>', '<th>task</th>', '<th>mode</th>', '<th class="num">rounds</th>', '<th class="num">wall time</th>'];
  head.push(
    ...tiers.map((t) => `<th class="num">${escapeMarkup(byteCounterLabel(t))}</th>`),
    ...metrics.map((m) => `<th class="num">${escapeMarkup(m)}</th>`),
  );
  const rows = records.map((r, i) => {
    const cells = [
      `<th scope="row"><span class="swatch" style="background:${escapeMarkup(swatches[i])}"></span>${escapeMarkup(labels[i])}</th>`,
      `<td>${escapeMarkup(String(r.task))}</td>`,
      `<td>${escapeMarkup(String(r.mode))}</td>`,
      `<td class="num">${rounds(r).length}</td>`,
      `<td class="num">${formatDuration(r.final?.wallSeconds)}</td>`,
      ...tiers.map((t) => `<td class="num">${formatBytes(totalBytes(r, t))}</td>`),
      ...metrics.map((m) => `<td class="num">${formatNumber(r.final?.metrics?.[m])}</td>`),
    ];
    return `<tr>${cells.join('')}</tr>`;
  });
  return table(head, rows);
}

/** Every round of the run: timing, bytes per tier and metrics. */
export function renderRoundsTable(record: RunRecord): string {
  const all = rounds(record);
  if (all.length === 0) return '<p class="muted">No rounds recorded.</p>';
  const sim = hasSimTime(record);
  const tiers = byteTiers([record]);
  const metrics = roundMetricNames([record]);
  const head = ['<th class="num">round</th>', '<th class="num">wall s</th>'];
  if (sim) head.push('<th class="num">sim s</th>');
  head.push(
    ...tiers.map((t) => `<th class="num">${escapeMarkup(byteCounterLabel(t))}</th>`),
    ...metrics.map((m) => `<th class="num">${escapeMarkup(m)}</th>`),
  );
  const rows = all.map((round) => {
    const cells = [`<td class="num">${formatNumber(round.round)}</td>`, `<td class="num">${formatNumber(round.wallSeconds)}</td>`];
    if (sim) cells.push(`<td class="num">${formatNumber(round.simSeconds)}</td>`);
    cells.push(...tiers.map((t) => `<td class="num">${formatBytes(roundBytes(round, t))}</td>`));
    cells.push(...metrics.map((m) => `<td class="num">${formatNumber(round.metrics?.[m])}</td>`));
    return `<tr>${cells.join('')}</tr>`;
  });
  return `<div class="scroll">${table(head, rows)}</div>`;
}

function table(head: readonly string[], rows: readonly string[]): string {
  return `<table><thead><tr>${head.join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

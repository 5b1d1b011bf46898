// Line charts (a metric against rounds or simulated time, one line per run) with optional horizontal
// reference lines (baselines). Non-finite values leave a gap; a lone point is drawn as a marker.

import { px, type LegendEntry } from './chart-frame.js';
import { escapeMarkup } from './escape-markup.js';
import { formatNumber } from './format-number.js';
import { xyPlot, type XyPlotOptions } from './xy-plot.js';
import { baselineColor, baselineDash, seriesColor } from './palette.js';

export interface ChartPoint {
  x: number;
  y: number;
}

export interface LineSeries {
  name: string;
  points: readonly ChartPoint[];
  color?: string;
  dash?: string;
}

export interface HorizontalLine {
  name: string;
  y: number;
  color?: string;
  dash?: string;
}

export interface LineChartOptions extends XyPlotOptions {
  /** Reference levels drawn dashed across the plot, e.g. a centralized baseline's final metric. */
  hLines?: readonly HorizontalLine[];
  /** The x axis counts something (rounds): no fractional ticks. */
  integerX?: boolean;
}

// Beyond this many points per series, markers clutter the line more than they help.
const MAX_MARKERS = 60;

export function lineChart(series: readonly LineSeries[], options: LineChartOptions): string {
  const lines = series.map((s, i) => ({
    name: s.name,
    color: s.color ?? seriesColor(i),
    dash: s.dash,
    points: s.points.filter((p) => Number.isFinite(p.x)).sort((a, b) => a.x - b.x),
  }));
  const hLines = (options.hLines ?? [])
    .filter((h) => Number.isFinite(h.y))
    .map((h, i) => ({ ...h, color: h.color ?? baselineColor(i), dash: h.dash ?? baselineDash(i) }));
  const finite = lines.flatMap((l) => l.points.filter((p) => Number.isFinite(p.y)));
  const legend: LegendEntry[] = [
    ...lines.map((l) => ({ label: l.name, color: l.color, shape: 'line' as const, dash: l.dash })),
    ...hLines.map((h) => ({ label: h.name, color: h.color, shape: 'line' as const, dash: h.dash })),
  ];

  const ys = [...finite.map((p) => p.y), ...hLines.map((h) => h.y)];
  const { frame, sx, sy, xTicks, yTicks } = xyPlot(
    finite.map((p) => p.x),
    ys,
    options,
    legend,
    options.integerX,
  );
  const { left, width } = frame.plot;
  if (finite.length === 0) return frame.render([], yTicks, frame.emptyMessage('no data'));

  const body: string[] = [];
  for (const h of hLines) {
    const y = px(sy(h.y));
    body.push(
      `<line class="hline" x1="${px(left)}" x2="${px(left + width)}" y1="${y}" y2="${y}" stroke="${escapeMarkup(h.color)}" stroke-width="1.5" stroke-dasharray="${escapeMarkup(h.dash)}"><title>${escapeMarkup(`${h.name}: ${formatNumber(h.y)}`)}</title></line>`,
    );
  }
  for (const line of lines) body.push(renderLine(line, sx, sy));
  return frame.render(xTicks, yTicks, body.join(''));
}

function renderLine(
  line: { name: string; color: string; dash?: string; points: ChartPoint[] },
  sx: (x: number) => number,
  sy: (y: number) => number,
): string {
  const segments: ChartPoint[][] = [[]];
  for (const p of line.points) {
    if (Number.isFinite(p.y)) segments[segments.length - 1].push(p);
    else if (segments[segments.length - 1].length > 0) segments.push([]);
  }
  const color = escapeMarkup(line.color);
  const d = segments
    .filter((s) => s.length > 1)
    .map((s) => s.map((p, i) => `${i === 0 ? 'M' : 'L'}${px(sx(p.x))} ${px(sy(p.y))}`).join(''))
    .join('');
  const dash = line.dash ? ` stroke-dasharray="${escapeMarkup(line.dash)}"` : '';
  const parts = [`<g class="series" data-series="${escapeMarkup(line.name)}">`];
  if (d !== '') parts.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="2" stroke-linejoin="round"${dash}/>`);
  const pointCount = segments.reduce((n, s) => n + s.length, 0);
  for (const segment of segments) {
    if (pointCount > MAX_MARKERS && segment.length > 1) continue;
    for (const p of segment) {
      const tip = escapeMarkup(`${line.name}: ${formatNumber(p.y)} at ${formatNumber(p.x)}`);
      parts.push(`<circle cx="${px(sx(p.x))}" cy="${px(sy(p.y))}" r="3" fill="${color}"><title>${tip}</title></circle>`);
    }
  }
  parts.push('</g>');
  return parts.join('');
}

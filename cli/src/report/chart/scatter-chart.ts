// Scatter charts: points in two dimensions, one colour per series (e.g. users as a faint cloud, producers'
// positions as large markers). Both axes scale to the data; non-finite points are left out.

import { ChartFrame, px, type ChartOptions, type LegendEntry, type TickFormat } from './chart-frame.js';
import { escapeMarkup } from './escape-markup.js';
import { formatNumberTick } from './format-number.js';
import type { ChartPoint } from './line-chart.js';
import { niceTicks } from './nice-ticks.js';
import { seriesColor } from './palette.js';

export interface ScatterSeries {
  name: string;
  points: readonly (ChartPoint & { label?: string })[];
  color?: string;
  /** Marker radius in pixels (default 3). */
  radius?: number;
  /** Fill opacity in [0, 1] (default 1): a faint cloud behind the markers that matter. */
  opacity?: number;
}

export interface ScatterChartOptions extends ChartOptions {
  xFormat?: TickFormat;
  yFormat?: TickFormat;
}

export function scatterChart(series: readonly ScatterSeries[], options: ScatterChartOptions): string {
  const sets = series.map((s, i) => ({
    ...s,
    color: s.color ?? seriesColor(i),
    points: s.points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y)),
  }));
  const all = sets.flatMap((s) => s.points);
  const legend: LegendEntry[] = sets.map((s) => ({ label: s.name, color: s.color, shape: 'box' }));
  const xScale = niceTicks(Math.min(...all.map((p) => p.x)), Math.max(...all.map((p) => p.x)), { count: 6 });
  const yScale = niceTicks(Math.min(...all.map((p) => p.y)), Math.max(...all.map((p) => p.y)), { count: 5 });
  const xFormat = options.xFormat ?? formatNumberTick;
  const yFormat = options.yFormat ?? formatNumberTick;
  const frame = new ChartFrame(
    options,
    yScale.ticks.map((t) => yFormat(t, yScale)),
    legend,
  );
  const { left, top, width, height } = frame.plot;
  const sx = (x: number): number => left + ((x - xScale.min) / (xScale.max - xScale.min)) * width;
  const sy = (y: number): number => top + height - ((y - yScale.min) / (yScale.max - yScale.min)) * height;
  const yTicks = yScale.ticks.map((t) => ({ at: sy(t), label: yFormat(t, yScale) }));
  if (all.length === 0) return frame.render([], yTicks, frame.emptyMessage('no data'));
  const body = sets.map((s) => {
    const color = escapeMarkup(s.color);
    const opacity = s.opacity === undefined ? '' : ` fill-opacity="${s.opacity}"`;
    const marks = s.points.map((p) => {
      const tip = p.label === undefined ? '' : `<title>${escapeMarkup(p.label)}</title>`;
      return `<circle cx="${px(sx(p.x))}" cy="${px(sy(p.y))}" r="${s.radius ?? 3}" fill="${color}"${opacity}>${tip}</circle>`;
    });
    return `<g class="series" data-series="${escapeMarkup(s.name)}">${marks.join('')}</g>`;
  });
  const xTicks = xScale.ticks.map((t) => ({ at: sx(t), label: xFormat(t, xScale) }));
  return frame.render(xTicks, yTicks, body.join(''));
}

// Scatter charts: points in two dimensions, one colour per series (e.g. users as a faint cloud, producers'
// positions as large markers). Both axes scale to the data; non-finite points are left out.

import { px, type LegendEntry } from './chart-frame.js';
import { escapeMarkup } from './escape-markup.js';
import type { ChartPoint } from './line-chart.js';
import { xyPlot, type XyPlotOptions } from './xy-plot.js';
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

export type ScatterChartOptions = XyPlotOptions;

export function scatterChart(series: readonly ScatterSeries[], options: ScatterChartOptions): string {
  const sets = series.map((s, i) => ({
    ...s,
    color: s.color ?? seriesColor(i),
    points: s.points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y)),
  }));
  const all = sets.flatMap((s) => s.points);
  const legend: LegendEntry[] = sets.map((s) => ({ label: s.name, color: s.color, shape: 'box' }));
  const { frame, sx, sy, xTicks, yTicks } = xyPlot(
    all.map((p) => p.x),
    all.map((p) => p.y),
    options,
    legend,
  );
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
  return frame.render(xTicks, yTicks, body.join(''));
}

// Bar charts over categories (rounds): series that share a `stack` key are stacked in one column, columns
// stand side by side within a category. Bytes per tier per round is the use it was made for.

import { ChartFrame, px, textWidth, type ChartOptions, type LegendEntry, type TickFormat } from './chart-frame.js';
import { escapeMarkup } from './escape-markup.js';
import { formatNumber, formatNumberTick } from './format-number.js';
import { niceTicks } from './nice-ticks.js';
import { seriesColor } from './palette.js';

export interface BarSeries {
  name: string;
  /** One value per category; missing or non-finite values draw nothing. */
  values: readonly number[];
  color?: string;
  /** Series with the same key stack in one column. Without it a series gets its own column, unless the
   * chart is `stacked`. */
  stack?: string;
}

export interface BarChartOptions extends ChartOptions {
  /** Stack every series that has no `stack` key into one column per category. */
  stacked?: boolean;
  yFormat?: TickFormat;
  /** Formats values in tooltips; defaults to plain numbers. */
  valueFormat?: (value: number) => string;
}

export function barChart(categories: readonly string[], series: readonly BarSeries[], options: BarChartOptions): string {
  const bars = series.map((s, i) => ({ ...s, color: s.color ?? seriesColor(i), column: s.stack ?? (options.stacked ? '' : s.name) }));
  const columns = [...new Set(bars.map((b) => b.column))];
  const legend: LegendEntry[] = bars.map((b) => ({ label: b.name, color: b.color, shape: 'box' }));

  // Stack positives upwards and negatives downwards from zero, so a column's height is its total.
  const stacks = categories.map((_, c) =>
    columns.map((column) => {
      let up = 0;
      let down = 0;
      return bars
        .filter((b) => b.column === column)
        .map((b) => {
          const v = b.values[c];
          if (v === undefined || !Number.isFinite(v) || v === 0) return undefined;
          const from = v > 0 ? up : down;
          if (v > 0) up += v;
          else down += v;
          return { bar: b, value: v, from, to: from + v };
        })
        .filter((s) => s !== undefined);
    }),
  );
  const ends = stacks.flat(2).map((s) => s.to);
  const yScale = niceTicks(Math.min(0, ...ends), Math.max(0, ...ends), { count: 5 });
  const yFormat = options.yFormat ?? formatNumberTick;
  const frame = new ChartFrame(
    options,
    yScale.ticks.map((t) => yFormat(t, yScale)),
    legend,
  );
  const { left, top, width, height } = frame.plot;
  const sy = (y: number): number => top + height - ((y - yScale.min) / (yScale.max - yScale.min)) * height;
  const yTicks = yScale.ticks.map((t) => ({ at: sy(t), label: yFormat(t, yScale) }));
  if (categories.length === 0 || ends.length === 0) return frame.render([], yTicks, frame.emptyMessage('no data'));

  const band = width / categories.length;
  const group = band * 0.8;
  const columnWidth = group / columns.length;
  const gap = columns.length > 1 && columnWidth > 4 ? 1 : 0;
  const valueFormat = options.valueFormat ?? formatNumber;
  const body: string[] = [];
  stacks.forEach((categoryColumns, c) => {
    categoryColumns.forEach((segments, k) => {
      const x = left + c * band + (band - group) / 2 + k * columnWidth;
      for (const s of segments) {
        const y0 = sy(Math.max(s.from, s.to));
        const h = Math.abs(sy(s.from) - sy(s.to));
        const tip = escapeMarkup(`${categories[c]} · ${s.bar.name}: ${valueFormat(s.value)}`);
        body.push(
          `<rect class="bar" x="${px(x)}" y="${px(y0)}" width="${px(Math.max(0.5, columnWidth - gap))}" height="${px(h)}" fill="${escapeMarkup(s.bar.color)}"><title>${tip}</title></rect>`,
        );
      }
    });
  });
  // Label every n-th category so that labels never overlap.
  const widest = Math.max(...categories.map(textWidth)) + 8;
  const stride = Math.max(1, Math.ceil(widest / band));
  const xTicks = categories.map((label, c) => ({ at: left + (c + 0.5) * band, label })).filter((_, c) => c % stride === 0);
  return frame.render(xTicks, yTicks, body.join(''));
}

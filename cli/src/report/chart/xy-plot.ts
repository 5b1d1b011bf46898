// The frame of a chart with two numeric axes (line and scatter charts): nice ticks on both axes from the
// data's extent, the frame laid out for the y tick labels, and the maps from data to pixels.

import { ChartFrame, type AxisTick, type ChartOptions, type LegendEntry, type TickFormat } from './chart-frame.js';
import { formatNumberTick } from './format-number.js';
import { niceTicks } from './nice-ticks.js';

export interface XyPlotOptions extends ChartOptions {
  xFormat?: TickFormat;
  yFormat?: TickFormat;
}

export interface XyPlot {
  readonly frame: ChartFrame;
  readonly sx: (x: number) => number;
  readonly sy: (y: number) => number;
  readonly xTicks: AxisTick[];
  readonly yTicks: AxisTick[];
}

/** `xs` and `ys`: the values each axis must show; `integerX`: no fractional x ticks. */
export function xyPlot(
  xs: readonly number[],
  ys: readonly number[],
  options: XyPlotOptions,
  legend: readonly LegendEntry[],
  integerX?: boolean,
): XyPlot {
  const xScale = niceTicks(Math.min(...xs), Math.max(...xs), { count: 6, integer: integerX });
  const yScale = niceTicks(Math.min(...ys), Math.max(...ys), { count: 5 });
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
  return {
    frame,
    sx,
    sy,
    xTicks: xScale.ticks.map((t) => ({ at: sx(t), label: xFormat(t, xScale) })),
    yTicks: yScale.ticks.map((t) => ({ at: sy(t), label: yFormat(t, yScale) })),
  };
}

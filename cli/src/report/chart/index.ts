// Small SVG chart module for self-contained reports: no scripts, no fonts, no network.
export { niceTicks, stepDecimals, type TickScale, type NiceTickOptions } from './nice-ticks.js';
export { lineChart, type LineSeries, type ChartPoint, type HorizontalLine, type LineChartOptions } from './line-chart.js';
export { barChart, type BarSeries, type BarChartOptions } from './bar-chart.js';
export { scatterChart, type ScatterSeries, type ScatterChartOptions } from './scatter-chart.js';
export type { ChartOptions, TickFormat } from './chart-frame.js';
export { escapeMarkup } from './escape-markup.js';
export { formatNumber, formatNumberTick, formatBytes, formatBytesTick } from './format-number.js';
export { seriesColor, baselineColor, baselineDash, tint } from './palette.js';

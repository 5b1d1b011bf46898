// The parts every chart shares: layout (margins that fit the tick labels and a wrapping legend), title,
// grid, axes, tick labels, axis labels and legend. Line and bar charts only draw their data inside it.

import { escapeMarkup } from './escape-markup.js';
import type { TickScale } from './nice-ticks.js';

export interface ChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  /** Pixels; the SVG scales down to its container with CSS. Default 560. */
  width?: number;
  /** Pixels, legend included. Default 300. */
  height?: number;
}

/** Formats one tick value; the scale lets all ticks of an axis share a unit and a number of decimals. */
export type TickFormat = (value: number, scale: TickScale) => string;

export interface LegendEntry {
  label: string;
  color: string;
  shape: 'line' | 'box';
  dash?: string;
}

export interface AxisTick {
  /** Pixel position along the axis. */
  at: number;
  label: string;
}

export interface PlotArea {
  left: number;
  top: number;
  width: number;
  height: number;
}

interface PlacedLegendEntry extends LegendEntry {
  x: number;
  y: number;
}

const FONT_SIZE = 12;
// No font metrics without a browser: an average sans-serif glyph is about 0.6 em wide, which is enough to
// keep labels from colliding.
const CHAR_WIDTH = FONT_SIZE * 0.6;
const LEGEND_ROW = 18;
const SWATCH = 22;

export function textWidth(text: string): number {
  return text.length * CHAR_WIDTH;
}

/** The plot area left once margins for the y tick labels, axis labels, title and legend are taken. */
export class ChartFrame {
  readonly width: number;
  readonly height: number;
  readonly plot: PlotArea;
  private readonly legend: PlacedLegendEntry[];

  constructor(
    private readonly options: ChartOptions,
    yTickLabels: readonly string[],
    legend: readonly LegendEntry[],
  ) {
    this.width = Math.max(160, options.width ?? 560);
    this.height = Math.max(120, options.height ?? 300);
    const left = 22 + Math.max(16, ...yTickLabels.map(textWidth)) + 8;
    const right = 18;
    const placed = placeLegend(legend, left, this.width - right);
    const legendRows = placed.length === 0 ? 0 : Math.max(...placed.map((e) => e.y)) + 1;
    const top = 34;
    const bottom = (legendRows > 0 ? 56 : 46) + legendRows * LEGEND_ROW;
    this.plot = { left, top, width: Math.max(20, this.width - left - right), height: Math.max(20, this.height - top - bottom) };
    const legendTop = this.plot.top + this.plot.height + 60;
    this.legend = placed.map((e) => ({ ...e, y: legendTop + e.y * LEGEND_ROW }));
  }

  /** The complete SVG: frame around `body`, which is drawn in plot coordinates already. */
  render(xTicks: readonly AxisTick[], yTicks: readonly AxisTick[], body: string): string {
    const { left, top, width, height } = this.plot;
    const bottom = top + height;
    const title = escapeMarkup(this.options.title);
    const parts: string[] = [
      `<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 ${this.width} ${this.height}" width="${this.width}" height="${this.height}" role="img" aria-label="${title}" font-family="system-ui, -apple-system, 'Segoe UI', sans-serif" font-size="${FONT_SIZE}">`,
      `<title>${title}</title>`,
      `<rect width="${this.width}" height="${this.height}" fill="#ffffff"/>`,
      `<text x="${left}" y="20" font-size="14" font-weight="600" fill="#111827">${title}</text>`,
    ];
    for (const t of yTicks) {
      const y = px(t.at);
      parts.push(`<line x1="${px(left)}" x2="${px(left + width)}" y1="${y}" y2="${y}" stroke="#e5e7eb"/>`);
      parts.push(`<text x="${px(left - 6)}" y="${px(t.at + 4)}" text-anchor="end" fill="#4b5563">${escapeMarkup(t.label)}</text>`);
    }
    for (const t of xTicks) {
      const x = px(t.at);
      parts.push(`<line x1="${x}" x2="${x}" y1="${px(bottom)}" y2="${px(bottom + 5)}" stroke="#9ca3af"/>`);
      parts.push(`<text x="${x}" y="${px(bottom + 18)}" text-anchor="middle" fill="#4b5563">${escapeMarkup(t.label)}</text>`);
    }
    parts.push(body);
    parts.push(`<path d="M${px(left)} ${px(top)}V${px(bottom)}H${px(left + width)}" fill="none" stroke="#9ca3af"/>`);
    parts.push(
      `<text x="${px(left + width / 2)}" y="${px(bottom + 38)}" text-anchor="middle" fill="#374151">${escapeMarkup(this.options.xLabel)}</text>`,
    );
    parts.push(
      `<text transform="translate(14 ${px(top + height / 2)}) rotate(-90)" text-anchor="middle" fill="#374151">${escapeMarkup(this.options.yLabel)}</text>`,
    );
    parts.push(...this.legend.map(renderLegendEntry));
    parts.push('</svg>');
    return parts.join('');
  }

  /** A message in the middle of the plot, for charts with nothing to draw. */
  emptyMessage(text: string): string {
    const { left, top, width, height } = this.plot;
    return `<text class="empty" x="${px(left + width / 2)}" y="${px(top + height / 2)}" text-anchor="middle" fill="#6b7280">${escapeMarkup(text)}</text>`;
  }
}

/** Legend entries flowed left to right, wrapping into rows; y is the row index until the frame places it. */
function placeLegend(entries: readonly LegendEntry[], from: number, to: number): PlacedLegendEntry[] {
  const placed: PlacedLegendEntry[] = [];
  let x = from;
  let row = 0;
  for (const entry of entries) {
    const w = SWATCH + 6 + textWidth(entry.label) + 16;
    if (x > from && x + w > to) {
      row++;
      x = from;
    }
    placed.push({ ...entry, x, y: row });
    x += w;
  }
  return placed;
}

function renderLegendEntry(e: PlacedLegendEntry): string {
  const swatch =
    e.shape === 'box'
      ? `<rect x="${px(e.x + 5)}" y="${px(e.y - 10)}" width="12" height="12" fill="${escapeMarkup(e.color)}"/>`
      : `<line x1="${px(e.x)}" x2="${px(e.x + SWATCH)}" y1="${px(e.y - 4)}" y2="${px(e.y - 4)}" stroke="${escapeMarkup(e.color)}" stroke-width="2.5"${e.dash ? ` stroke-dasharray="${escapeMarkup(e.dash)}"` : ''}/>`;
  return `<g class="legend-entry">${swatch}<text x="${px(e.x + SWATCH + 6)}" y="${px(e.y)}" fill="#111827">${escapeMarkup(e.label)}</text></g>`;
}

/** A pixel coordinate with two decimals: enough for rendering, and keeps the SVG short. */
export function px(value: number): string {
  return String(Math.round(value * 100) / 100);
}

// Colours for chart series (Tableau 10: distinct, colour-blind tolerant) and for baselines, which are drawn
// dashed in muted tones so they read as references rather than runs.

const SERIES = ['#4e79a7', '#f28e2b', '#e15759', '#59a14f', '#b07aa1', '#76b7b2', '#edc948', '#ff9da7', '#9c755f', '#bab0ac'];
const BASELINES = ['#444444', '#8c6d31', '#7b4173', '#3b6e8f', '#6b6ecf'];
const DASHES = ['6 4', '2 3', '9 3 2 3', '12 4'];

export function seriesColor(index: number): string {
  return SERIES[index % SERIES.length];
}

export function baselineColor(index: number): string {
  return BASELINES[index % BASELINES.length];
}

export function baselineDash(index: number): string {
  return DASHES[index % DASHES.length];
}

/** `color` (#rrggbb) mixed with white: amount 0 keeps it, 1 gives white. */
export function tint(color: string, amount: number): string {
  const rgb = [1, 3, 5].map((i) => parseInt(color.slice(i, i + 2), 16));
  return `#${rgb
    .map((c) =>
      Math.round(c + (255 - c) * amount)
        .toString(16)
        .padStart(2, '0'),
    )
    .join('')}`;
}

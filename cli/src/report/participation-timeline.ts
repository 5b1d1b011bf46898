// The participation timeline of simulated runs: devices online, devices computing and answers delivered
// over simulated time, one chart per run that recorded one (`final.timeline`, written by the simulator).
// Records come from disk, so a malformed timeline is skipped rather than trusted.

import type { RunRecord } from '@strata/shared';
import { escapeMarkup, lineChart, seriesColor, tint, type LineSeries } from './chart/index.js';

interface Timeline {
  t: number[];
  online: number[];
  computing: number[];
  answers: number[];
}

/** The `Participation` section, or '' when no run has a timeline. */
export function renderParticipationSection(records: readonly RunRecord[], labels: readonly string[], colors: readonly string[]): string {
  const figures = records.flatMap((record, i) => {
    const timeline = readTimeline(record);
    if (!timeline) return [];
    const points = (values: number[]) => timeline.t.map((x, k) => ({ x, y: values[k] }));
    const color = records.length === 1 ? seriesColor(0) : colors[i];
    const series: LineSeries[] = [
      { name: 'online (mean)', color, points: points(timeline.online) },
      { name: 'computing (peak)', color: tint(color, 0.45), points: points(timeline.computing) },
      { name: 'answers delivered', color: tint(color, 0.7), dash: '4 3', points: points(timeline.answers) },
    ];
    const svg = lineChart(series, {
      title: records.length === 1 ? 'Device participation' : `Device participation · ${labels[i]}`,
      xLabel: 'simulated time (s)',
      yLabel: 'devices',
      width: 1120,
      height: 300,
    });
    return [`<figure class="chart-card wide" data-chart="participation">${svg}</figure>`];
  });
  if (figures.length === 0) return '';
  return `<h2>${escapeMarkup('Participation')}</h2><div class="charts">${figures.join('')}</div>`;
}

function readTimeline(record: RunRecord): Timeline | undefined {
  const value = (record.final as Record<string, unknown> | undefined)?.timeline as Partial<Timeline> | undefined;
  if (!value || typeof value !== 'object') return undefined;
  const { t, online, computing, answers } = value;
  const numbers = (a: unknown): a is number[] => Array.isArray(a) && a.every((x) => typeof x === 'number');
  if (!numbers(t) || !numbers(online) || !numbers(computing) || !numbers(answers)) return undefined;
  if (![online, computing, answers].every((a) => a.length === t.length) || t.length === 0) return undefined;
  return { t, online, computing, answers };
}

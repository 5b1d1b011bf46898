// The HTML report of `strata game`: the table of equilibria (one row per serving rule), specialisation and
// welfare by rule, the best-response dynamics' convergence, and each rule's producer positions over the users
// on the first two features. Self-contained, like the run report.

import { describeRule, type EngagementGameResult } from '@strata/tasks';
import { barChart, escapeMarkup, lineChart, scatterChart, seriesColor } from './chart/index.js';
import { REPORT_STYLE } from './report-style.js';

export interface GameReportMeta {
  readonly id: string;
  readonly source: string;
  readonly wallSeconds: number;
}

export function renderGameReport(result: EngagementGameResult, meta: GameReportMeta): string {
  const { space, outcomes, options } = result;
  const labels = outcomes.map((o) => describeRule(o.rule, space));
  const rows = outcomes.map((o, k) => {
    const status = o.converged
      ? `equilibrium after ${o.sweeps} sweeps`
      : o.cycleLength > 0
        ? `cycle of ${o.cycleLength} sweeps`
        : 'not settled';
    const cells = [
      labels[k],
      status,
      o.specialisation.toFixed(3),
      o.pureFeatureProducers.toFixed(1),
      o.distinctPositions.toFixed(1),
      o.distinctTopFeatures.toFixed(1),
      `${(o.producerEngagement[o.producerEngagement.length - 1] * 100).toFixed(1)}–${(o.producerEngagement[0] * 100).toFixed(1)}%`,
      o.userUtility.toFixed(3),
      o.userWelfareRatio.toFixed(3),
    ];
    return `<tr>${cells.map((c, i) => `<td${i >= 2 ? ' class="num"' : ''}>${escapeMarkup(c)}</td>`).join('')}</tr>`;
  });
  const head = [
    'serving',
    'dynamics',
    'specialisation',
    'pure-feature producers',
    'distinct positions',
    'distinct top features',
    'engagement per producer',
    'user utility',
    'of best possible',
  ];
  const table = `<table><thead><tr>${head.map((h) => `<th>${escapeMarkup(h)}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
  const shares = barChart(
    labels,
    [
      { name: 'specialisation (top-feature share)', values: outcomes.map((o) => o.specialisation) },
      { name: 'user utility / best possible', values: outcomes.map((o) => o.userWelfareRatio) },
    ],
    { title: 'Specialisation and user welfare by serving rule', xLabel: 'serving rule', yLabel: 'share' },
  );
  const counts = barChart(
    labels,
    [
      { name: 'distinct positions', values: outcomes.map((o) => o.distinctPositions) },
      { name: 'pure-feature producers', values: outcomes.map((o) => o.pureFeatureProducers) },
    ],
    { title: `Diversity of ${options.producers} producers`, xLabel: 'serving rule', yLabel: 'producers' },
  );
  const moves = lineChart(
    outcomes.map((o, k) => ({ name: labels[k], points: o.history.map((h) => ({ x: h.sweep, y: h.moves })) })),
    { title: 'Best-response dynamics: producers moving per sweep', xLabel: 'sweep', yLabel: 'moves', integerX: true },
  );
  const utility = lineChart(
    outcomes.map((o, k) => ({ name: labels[k], points: o.history.map((h) => ({ x: h.sweep, y: h.userUtility })) })),
    { title: 'User utility per sweep', xLabel: 'sweep', yLabel: 'mean served score', integerX: true },
  );
  const d = space.dim;
  const userPoints = Array.from({ length: space.numUsers }, (_, u) => {
    const norm = Math.hypot(...space.users.subarray(u * d, (u + 1) * d));
    return { x: space.users[u * d] / norm, y: space.users[u * d + 1] / norm };
  });
  const positions = outcomes.map((o, k) =>
    scatterChart(
      [
        { name: 'users (direction)', points: userPoints, color: '#9ca3af', radius: 2, opacity: 0.35 },
        {
          name: 'producers',
          color: seriesColor(k),
          radius: 6,
          points: o.positions.map((c, j) => ({
            x: space.candidates[c * d],
            y: space.candidates[c * d + 1],
            label: `producer ${j}: ${c >= space.numItemCandidates ? `pure feature ${Math.floor((c - space.numItemCandidates) / 2)}` : `item ${c}`}`,
          })),
        },
      ],
      { title: `${labels[k]}: final positions`, xLabel: 'feature 0', yLabel: 'feature 1', height: 320 },
    ),
  );
  const facts: [string, string][] = [
    ['data', meta.source],
    ['space', `BPR-MF, ${d} features, ${space.numUsers} users`],
    ['positions', `${space.numItemCandidates} item directions + ${2 * d} pure features`],
    ['producers', String(options.producers)],
    ['score σ', space.scoreStd.toFixed(3)],
    ['catalogue specialisation', result.catalogueSpecialisation.toFixed(3)],
    ['user specialisation', result.userSpecialisation.toFixed(3)],
    ['wall time', `${meta.wallSeconds.toFixed(1)} s`],
  ];
  const card = (svg: string): string => `<figure class="chart-card">${svg}</figure>`;
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeMarkup(`Strata engagement game: ${meta.id}`)}</title>`,
    `<style>${REPORT_STYLE}</style>`,
    '</head><body><main>',
    '<header class="report"><p class="eyebrow">Strata engagement game</p><h1>Producers in a learned embedding space</h1>',
    `<p class="subtitle">${escapeMarkup(meta.id)}</p>`,
    `<dl class="facts">${facts.map(([k, v]) => `<div><dt>${escapeMarkup(k)}</dt><dd>${escapeMarkup(v)}</dd></div>`).join('')}</dl></header>`,
    '<h2>Equilibria by serving rule</h2>',
    `<div class="table-card">${table}</div>`,
    '<p class="muted">Specialisation: the mean share of a producer position’s squared norm on its largest feature (features: the principal axes of the item embeddings, centred). In a cycle, figures are means over its sweeps.</p>',
    `<div class="charts">${card(shares)}${card(counts)}</div>`,
    '<h2>Convergence</h2>',
    `<div class="charts">${card(moves)}${card(utility)}</div>`,
    '<h2>Positions</h2>',
    `<div class="charts">${positions.map(card).join('')}</div>`,
    '</main></body></html>',
    '',
  ].join('\n');
}

// The figures at the top: round, devices, last round's duration, loss and headline metrics, traffic.

import { el } from './dom.js';
import { formatBytes, formatDuration, formatNumber } from './format.js';
import type { LiveModel, RunData } from './live-model.js';

export class SummaryView {
  constructor(private readonly container: HTMLElement) {}

  draw(data: RunData, live: LiveModel | undefined): void {
    const rounds = data.rounds();
    const committed = rounds.filter((r) => r.seconds !== undefined);
    const last = committed.at(-1);
    const latest = (metric: string): number | undefined => [...committed].reverse().find((r) => metric in r.metrics)?.metrics[metric];
    const bytes = committed.reduce((sum, r) => sum + (r.bytes.deviceEdge ?? 0) + (r.bytes.edgeCloud ?? 0), 0);
    const stats: [string, string, string][] = [
      [
        'round',
        `${committed.length} / ${data.run.rounds}`,
        rounds.at(-1)?.seconds === undefined && rounds.length > 0 ? `round ${rounds.at(-1)!.round} running` : data.run.phase,
      ],
    ];
    if (live) {
      const offline = [...live.devices.values()].filter((d) => d.state === 'o').length;
      stats.push([
        'devices',
        String(live.devices.size - offline),
        `${live.edges.size} edge${live.edges.size === 1 ? '' : 's'}${offline > 0 ? ` · ${offline} offline` : ''}`,
      ]);
    }
    stats.push(['last round', formatDuration(last?.seconds), last ? `round ${last.round}` : '']);
    stats.push(['loss', formatNumber(latest('loss')), 'training, mean per sample']);
    for (const metric of data.run.headlineMetrics) stats.push([metric, formatNumber(latest(metric)), 'held-out']);
    const privacy = [...committed].reverse().find((r) => r.privacy)?.privacy;
    if (privacy) stats.push(['ε spent', formatNumber(privacy.epsilon), `central DP, δ = ${privacy.delta}`]);
    stats.push(['traffic', formatBytes(bytes), 'all tiers, all rounds']);
    this.container.replaceChildren(
      ...stats.map(([label, value, sub]) =>
        el(
          'div',
          { class: 'stat', 'data-stat': label },
          el('div', { class: 'label' }, label),
          el('div', { class: 'value' }, value),
          el('div', { class: 'sub' }, sub),
        ),
      ),
    );
  }
}

// The rounds: the current round's progress per region (answers against the quorum, failures, stragglers) and
// a timeline of rounds, newest first, with their duration, per-region participation and headline metrics.

import type { RoundEdgeView, RoundView } from '../server/dashboard-protocol.js';
import { el } from './dom.js';
import { formatDuration, formatNumber } from './format.js';
import type { RunData } from './live-model.js';

const TIMELINE_ROWS = 50;

export class RoundsView {
  constructor(
    private readonly current: HTMLElement,
    private readonly timeline: HTMLElement,
  ) {}

  draw(data: RunData): void {
    const rounds = data.rounds();
    this.drawCurrent(data, rounds);
    this.drawTimeline(data, rounds);
  }

  private drawCurrent(data: RunData, rounds: readonly RoundView[]): void {
    const round = rounds.at(-1);
    if (!round) {
      this.current.replaceChildren(el('p', { class: 'muted' }, 'Waiting for the first round…'));
      return;
    }
    const running = round.seconds === undefined;
    const seconds = running ? (data.now() - round.startedAt) / 1000 : round.seconds;
    const { quorum, kappa2 } = data.run.schedule;
    const regions = [...new Set([...data.run.regions, ...Object.keys(round.edges)])].filter((r) => r in round.edges || running);
    const rows = regions.map((region) => progressRow(region, round.edges[region], quorum, kappa2));
    const title = running ? `Round ${round.round} of ${data.run.rounds} · running` : `Round ${round.round} of ${data.run.rounds} · done`;
    this.current.replaceChildren(
      el(
        'div',
        { class: 'head' },
        el('span', { 'data-current-round': String(round.round) }, title),
        el('span', { class: 'muted' }, formatDuration(seconds)),
      ),
      ...rows,
    );
  }

  private drawTimeline(data: RunData, rounds: readonly RoundView[]): void {
    const headline = chartedMetric(data, rounds);
    const longest = Math.max(1e-9, ...rounds.map((r) => r.seconds ?? (data.now() - r.startedAt) / 1000));
    const shown = rounds.slice(-TIMELINE_ROWS).reverse();
    const regions = data.run.regions.length > 0 ? data.run.regions : ['all edges'];
    const body = shown.map((round) => {
      const running = round.seconds === undefined;
      const seconds = round.seconds ?? (data.now() - round.startedAt) / 1000;
      const total = sumEdges(round);
      const bar = el(
        'div',
        { class: 'track' },
        el('div', { class: 'fill', style: `width:${Math.min(100, (100 * seconds) / longest).toFixed(1)}%` }),
      );
      const mini = el(
        'span',
        { class: 'edge-mini' },
        ...[...new Set([...regions, ...Object.keys(round.edges)])]
          .filter((region) => round.edges[region] !== undefined)
          .map((region) => {
            const edge = round.edges[region];
            const share = edge.selected > 0 ? (100 * edge.answered) / edge.selected : 0;
            return el(
              'i',
              { title: `${region}: ${edge.answered}/${edge.selected} answered` },
              el('b', { style: `width:${share.toFixed(0)}%` }),
            );
          }),
      );
      return el(
        'tr',
        { class: running ? 'running' : 'done', 'data-round': String(round.round), 'data-status': running ? 'running' : 'done' },
        el('td', { class: 'num' }, String(round.round)),
        el('td', {}, el('div', { class: 'duration' }, bar, el('span', {}, formatDuration(seconds)))),
        el('td', {}, mini),
        el('td', { class: 'num' }, total.selected > 0 ? `${total.answered}/${total.selected}` : '—'),
        el('td', { class: 'num' }, total.dropped > 0 ? String(total.dropped) : '·'),
        el('td', { class: 'num' }, formatNumber(round.metrics.loss)),
        el('td', { class: 'num' }, headline ? formatNumber(round.metrics[headline]) : ''),
      );
    });
    const head = el(
      'tr',
      {},
      el('th', { class: 'num' }, '#'),
      el('th', {}, 'duration'),
      el('th', {}, 'edges'),
      el('th', { class: 'num' }, 'answers'),
      el('th', { class: 'num' }, 'stragglers'),
      el('th', { class: 'num' }, 'loss'),
      el('th', { class: 'num' }, headline ?? ''),
    );
    const hidden = rounds.length - shown.length;
    const table = el('table', {}, el('thead', {}, head), el('tbody', {}, ...body));
    if (hidden === 0) this.timeline.replaceChildren(table);
    else
      this.timeline.replaceChildren(
        table,
        el('p', { class: 'muted' }, `… and ${hidden} earlier round${hidden === 1 ? '' : 's'} (in the charts)`),
      );
  }
}

function progressRow(region: string, edge: RoundEdgeView | undefined, quorum: number, kappa2: number): HTMLElement {
  if (!edge) {
    return el(
      'div',
      { class: 'progress-row', 'data-region': region },
      el('span', { class: 'region' }, region),
      el('div', { class: 'progress' }),
      el('span', { class: 'detail' }, 'waiting for an edge to take the job'),
    );
  }
  const selected = Math.max(1, edge.selected);
  const pct = (n: number): string => `width:${((100 * n) / selected).toFixed(2)}%`;
  const bar = el(
    'div',
    { class: 'progress', title: `${edge.answered} answered, ${edge.failed} failed, ${edge.dropped} stragglers of ${edge.selected}` },
    el('span', { class: 'answered', style: pct(edge.answered) }),
    el('span', { class: 'failed', style: pct(edge.failed) }),
    el('span', { class: 'dropped', style: pct(edge.dropped) }),
    edge.selected > 0 ? el('i', { class: 'quorum', style: `left:${(100 * quorum).toFixed(1)}%`, title: `quorum ${quorum}` }) : undefined,
  );
  const parts = [
    `${edge.answered}/${edge.selected} answered`,
    `quorum ${Math.round(quorum * 100)}%`,
    edge.failed > 0 ? `${edge.failed} failed` : undefined,
    edge.done ? `${edge.dropped} straggler${edge.dropped === 1 ? '' : 's'}` : undefined,
    edge.rejected > 0 ? `${edge.rejected} rejected` : undefined,
    kappa2 > 1 ? `iteration ${edge.iteration}/${kappa2}` : undefined,
    edge.done ? `edge done in ${formatDuration(edge.seconds)}` : 'in progress',
  ].filter((p) => p !== undefined);
  return el(
    'div',
    { class: 'progress-row', 'data-region': region },
    el('span', { class: 'region', title: region }, region),
    bar,
    el('span', { class: 'detail' }, parts.join(' · ')),
  );
}

function sumEdges(round: RoundView): { selected: number; answered: number; dropped: number } {
  const edges = Object.values(round.edges);
  return {
    selected: edges.reduce((s, e) => s + e.selected, 0),
    answered: edges.reduce((s, e) => s + e.answered, 0),
    dropped: edges.reduce((s, e) => s + e.dropped, 0),
  };
}

/** The first headline metric any round has (else the first non-loss metric). */
export function chartedMetric(data: RunData, rounds: readonly RoundView[]): string | undefined {
  const seen = new Set(rounds.flatMap((r) => Object.keys(r.metrics)));
  return data.run.headlineMetrics.find((m) => seen.has(m)) ?? [...seen].find((m) => m !== 'loss');
}

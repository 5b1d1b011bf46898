// The topology: the coordinator, its edges (grouped by region, replicas side by side) and each edge's devices as
// a grid of squares coloured by state. Squares are kept and recoloured, not rebuilt: an update touching 50 of
// 1,000 devices changes 50 class names. A square's tooltip (id, state, last seen) is written when hovered.

import type { DeviceStateCode, EdgeView } from '../server/dashboard-protocol.js';
import { el } from './dom.js';
import { formatAgo } from './format.js';
import type { LiveModel } from './live-model.js';

export const STATE_LABELS: Record<DeviceStateCode, string> = {
  i: 'connected',
  t: 'training',
  e: 'evaluating',
  a: 'answered',
  f: 'failed',
  l: 'straggler',
  o: 'offline',
};
const LEGEND_ORDER: DeviceStateCode[] = ['i', 't', 'a', 'l', 'f', 'e', 'o'];
/** device-2 before device-10 (new squares are appended in this order). */
const byDeviceId = new Intl.Collator('en', { numeric: true }).compare;
/** Above this many devices an edge draws smaller squares. */
const COMPACT = 300;

interface EdgeCard {
  card: HTMLElement;
  meta: HTMLElement;
  job: HTMLElement;
  grid: HTMLElement;
}

export class TopologyView {
  private readonly coordinator = el('div', { class: 'node coordinator-node' });
  private readonly edgesRow = el('div', { class: 'edges' });
  private readonly legend = el('div', { class: 'legend' });
  private readonly cards = new Map<string, EdgeCard>();
  private readonly placeholders = new Map<string, HTMLElement>();
  private readonly squares = new Map<string, HTMLElement>();

  constructor(
    container: HTMLElement,
    private readonly model: LiveModel,
  ) {
    container.replaceChildren(this.coordinator, el('div', { class: 'links' }), this.edgesRow, this.legend);
    container.addEventListener('mouseover', (event) => {
      const target = event.target as HTMLElement;
      const id = target.dataset.device;
      const device = id === undefined ? undefined : this.model.devices.get(id);
      if (id !== undefined && device)
        target.title = `${id} · ${STATE_LABELS[device.state]} · last seen ${formatAgo(device.lastSeen, this.model.now())} · ${device.edge}`;
    });
  }

  /** Brings the page in line with the model: new edges, moved or recoloured devices, the texts. */
  draw(): void {
    const model = this.model;
    const run = model.run;
    if (!run) return;
    if (model.topologyChanged) this.placeEdges(run.regions);
    for (const id of [...model.changedDevices].sort(byDeviceId)) {
      const device = model.devices.get(id);
      if (!device) continue;
      let square = this.squares.get(id);
      if (!square) {
        square = el('span', { class: 'dev', 'data-device': id });
        this.squares.set(id, square);
      }
      const card = this.card(device.edge);
      if (square.parentElement !== card.grid) card.grid.append(square);
      square.className = `dev s-${device.state}`;
    }
    model.changedDevices.clear();
    model.topologyChanged = false;
    this.drawTexts();
  }

  /** The texts that age (last seen, counts): redrawn every second too. */
  drawTexts(): void {
    const model = this.model;
    const run = model.run;
    if (!run) return;
    const counts = new Map<DeviceStateCode, number>();
    const perEdge = new Map<string, number>();
    for (const device of model.devices.values()) {
      counts.set(device.state, (counts.get(device.state) ?? 0) + 1);
      if (device.state !== 'o') perEdge.set(device.edge, (perEdge.get(device.edge) ?? 0) + 1);
    }
    const connected = model.devices.size - (counts.get('o') ?? 0);
    const committed = model.rounds().filter((r) => r.seconds !== undefined).length;
    this.coordinator.replaceChildren(
      el('div', { class: 'title' }, 'Coordinator'),
      el(
        'div',
        { class: 'meta' },
        `${run.mode} · ${run.phase} · round ${committed}/${run.rounds} · ${run.regions.length} region${run.regions.length === 1 ? '' : 's'} · ${connected} devices connected`,
      ),
    );
    for (const [nodeId, card] of this.cards) {
      const edge = model.edges.get(nodeId);
      const devices = perEdge.get(nodeId) ?? 0;
      card.meta.textContent = `${edge?.region ?? '?'} · ${devices} device${devices === 1 ? '' : 's'} · seen ${formatAgo(edge?.lastSeen ?? 0, model.now())}`;
      card.job.textContent = edge?.job
        ? `${edge.job.name} ${edge.job.round}${edge.job.iteration > 0 ? ` · iteration ${edge.job.iteration}` : ''}`
        : 'idle';
      card.grid.classList.toggle('compact', card.grid.childElementCount > COMPACT);
    }
    this.legend.replaceChildren(
      ...LEGEND_ORDER.filter((s) => (counts.get(s) ?? 0) > 0 || s === 'i').map((s) =>
        el('span', { 'data-state': s }, el('span', { class: `dev s-${s}` }), `${STATE_LABELS[s]} ${counts.get(s) ?? 0}`),
      ),
    );
  }

  private placeEdges(regions: readonly string[]): void {
    for (const edge of this.model.edges.values()) this.card(edge.nodeId);
    // Regions no edge has reported from yet: a placeholder, so a missing edge shows.
    const covered = new Set([...this.model.edges.values()].map((e: EdgeView) => e.region));
    for (const region of regions) {
      const placeholder = this.placeholders.get(region);
      if (covered.has(region)) {
        placeholder?.remove();
        this.placeholders.delete(region);
      } else if (!placeholder) {
        const card = el(
          'div',
          { class: 'node edge-node', 'data-region': region },
          el('div', { class: 'title' }, region),
          el('div', { class: 'meta' }, 'no edge has reported yet'),
        );
        this.placeholders.set(region, card);
        this.edgesRow.append(card);
      }
    }
  }

  private card(nodeId: string): EdgeCard {
    let card = this.cards.get(nodeId);
    if (card) return card;
    const meta = el('div', { class: 'meta' });
    const job = el('span', { class: 'job' });
    const grid = el('div', { class: 'devices' });
    const element = el(
      'div',
      { class: 'node edge-node', 'data-edge': nodeId },
      el('div', { class: 'head' }, el('span', { class: 'title' }, nodeId), job),
      meta,
      grid,
    );
    card = { card: element, meta, job, grid };
    this.cards.set(nodeId, card);
    // Edges in node-id order, so the layout does not depend on who reported first.
    const order = [...this.cards.keys()].sort(byDeviceId);
    const next = this.cards.get(order[order.indexOf(nodeId) + 1])?.card;
    if (next) this.edgesRow.insertBefore(element, next);
    else this.edgesRow.append(element);
    return card;
  }
}

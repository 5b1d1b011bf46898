// A radiance task's latest render of a held-out view beside its ground truth, refreshed as rounds complete.

import type { RenderView } from '@strata/coordinator/dashboard-protocol';
import { el } from './dom.js';
import { formatNumber } from './format.js';

export class RadianceView {
  constructor(private readonly section: HTMLElement, private readonly body: HTMLElement) {}

  draw(render: RenderView | undefined): void {
    this.section.hidden = render === undefined;
    if (!render) return;
    const metrics = Object.entries(render.metrics).map(([k, v]) => `${k} ${formatNumber(v)}`).join(' · ');
    const figure = (src: string, caption: string): HTMLElement => el('figure', {}, el('img', { src, alt: caption }), el('figcaption', {}, caption));
    const figures = [figure(render.image, `${render.label} · round ${render.round}${metrics ? ` · ${metrics}` : ''}`)];
    if (render.truth) figures.push(figure(render.truth, 'ground truth'));
    this.body.replaceChildren(...figures);
  }
}

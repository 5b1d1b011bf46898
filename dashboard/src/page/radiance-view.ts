// A radiance task's latest render of a held-out view beside its ground truth, refreshed as rounds complete, and
// a pose control that asks the server for a render of the model from another viewpoint.

import type { RenderPose, RenderView } from '../server/dashboard-protocol.js';
import { el } from './dom.js';
import { formatNumber } from './format.js';

export type RenderRequest = (pose: RenderPose) => Promise<{ render: RenderView } | { error: string }>;

export class RadianceView {
  private readonly figures = el('div', { class: 'radiance' });
  private readonly control: HTMLElement;
  private readonly requested = el('figure', { class: 'requested', hidden: '' });
  private readonly status = el('span', { class: 'muted', 'data-render-status': '' });

  constructor(
    private readonly section: HTMLElement,
    body: HTMLElement,
    request: RenderRequest,
  ) {
    const azimuth = el('input', { type: 'range', min: '-180', max: '180', step: '5', value: '30', 'aria-label': 'azimuth' });
    const elevation = el('input', { type: 'range', min: '-10', max: '80', step: '5', value: '30', 'aria-label': 'elevation' });
    const azimuthValue = el('output', {}, '30°');
    const elevationValue = el('output', {}, '30°');
    azimuth.addEventListener('input', () => (azimuthValue.textContent = `${azimuth.value}°`));
    elevation.addEventListener('input', () => (elevationValue.textContent = `${elevation.value}°`));
    const button = el('button', { type: 'submit' }, 'Render');
    this.control = el(
      'form',
      { class: 'pose', hidden: '' },
      el('div', { class: 'pose-title' }, 'Look from'),
      el('label', {}, 'azimuth ', azimuth, azimuthValue),
      el('label', {}, 'elevation ', elevation, elevationValue),
      button,
      this.status,
    );
    this.control.addEventListener('submit', (event) => {
      event.preventDefault();
      button.disabled = true;
      this.status.textContent = 'rendering…';
      request({ azimuth: Number(azimuth.value), elevation: Number(elevation.value) }).then((answer) => {
        button.disabled = false;
        if ('error' in answer) {
          this.status.textContent = answer.error;
          return;
        }
        this.status.textContent = '';
        this.requested.hidden = false;
        this.requested.replaceChildren(
          ...figure(answer.render.image, `${answer.render.label} · model of round ${answer.render.round}`).childNodes,
        );
      });
    });
    body.replaceChildren(this.figures, this.control, this.requested);
  }

  draw(render: RenderView | undefined, renderable: boolean): void {
    this.section.hidden = render === undefined && !renderable;
    this.control.hidden = !renderable;
    if (!render) return;
    const metrics = Object.entries(render.metrics)
      .map(([k, v]) => `${k} ${formatNumber(v)}`)
      .join(' · ');
    const figures = [figure(render.image, `${render.label} · round ${render.round}${metrics ? ` · ${metrics}` : ''}`)];
    if (render.truth) figures.push(figure(render.truth, 'ground truth'));
    this.figures.replaceChildren(...figures);
  }
}

function figure(src: string, caption: string): HTMLElement {
  return el('figure', {}, el('img', { src, alt: caption }), el('figcaption', {}, caption));
}

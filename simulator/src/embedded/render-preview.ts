// The dashboard's radiance panel: the newest held-out view a task rendered in its evaluation, beside its ground
// truth, as PNG data URLs. A task offers them by keeping `snapshots` of its evaluations (the voxel-grid radiance
// task does); other tasks have none and the panel stays hidden.

import type { RenderView } from '@strata/coordinator';
import type { FederatedTask } from '@strata/shared';
import { encodeRgbPng } from '@strata/tasks';

interface Image {
  readonly width: number;
  readonly height: number;
  readonly rgb: Float32Array;
}

/** What such a task keeps of each evaluation (the fields read here). */
interface EvaluationRenders {
  readonly snapshots: readonly {
    readonly evaluation: number;
    readonly views: readonly { readonly name: string; readonly truth: { readonly camera: { width: number; height: number }; readonly rgb: Float32Array }; readonly render: Image; readonly psnr: number }[];
  }[];
}

function keepsRenders(task: FederatedTask): task is FederatedTask & EvaluationRenders {
  return Array.isArray((task as Partial<EvaluationRenders>).snapshots);
}

/** Follows a task's evaluations: `next(round)` gives the newest render once per evaluation, else undefined. */
export class RenderPreview {
  private shown = 0;

  constructor(private readonly task: FederatedTask) {}

  next(round: number): RenderView | undefined {
    if (!keepsRenders(this.task)) return undefined;
    const snapshot = this.task.snapshots.at(-1);
    const view = snapshot?.views[0];
    if (!snapshot || !view || snapshot.evaluation === this.shown) return undefined;
    this.shown = snapshot.evaluation;
    const { width, height } = view.truth.camera;
    return {
      round,
      label: view.name.split('/').at(-1) ?? view.name,
      image: dataUrl(view.render),
      truth: dataUrl({ width, height, rgb: view.truth.rgb }),
      metrics: { psnr: view.psnr },
    };
  }
}

function dataUrl(image: Image): string {
  return `data:image/png;base64,${encodeRgbPng(image.rgb, image.width, image.height).toString('base64')}`;
}

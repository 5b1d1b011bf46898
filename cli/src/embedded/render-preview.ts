// The dashboard's radiance panel in an embedded run: the newest held-out view the task rendered in its
// evaluation beside its ground truth, and renders of the model from a pose a page asks for. A task offers them
// by keeping `snapshots` of its evaluations and the model it last evaluated, and by being a `ViewRenderer` (the
// voxel-grid radiance task is; an edge renders its devices' views through the same interface); for other tasks
// the panel stays hidden.

import type { RenderPose, RenderView } from '@strata/dashboard';
import { rendersViews, type FederatedTask, type ModelParams, type ViewRenderer } from '@strata/shared';
import { encodeRgbPng, type Camera } from '@strata/tasks';

interface Image {
  readonly width: number;
  readonly height: number;
  readonly rgb: Float32Array;
}

/** What such a task keeps of each evaluation (the fields read here). */
interface EvaluationRenders {
  readonly snapshots: readonly {
    readonly evaluation: number;
    readonly views: readonly {
      readonly name: string;
      readonly truth: { readonly camera: Camera; readonly rgb: Float32Array };
      readonly render: Image;
      readonly psnr: number;
    }[];
  }[];
}

/** What rendering from a pose needs besides: the evaluated model. */
interface EvaluatedModel {
  readonly lastEvaluatedModel: ModelParams | null;
}

function keepsRenders(task: FederatedTask): task is FederatedTask & EvaluationRenders {
  return Array.isArray((task as Partial<EvaluationRenders>).snapshots);
}

function rendersPoses(task: FederatedTask): task is FederatedTask & EvaluationRenders & EvaluatedModel & ViewRenderer {
  return keepsRenders(task) && 'lastEvaluatedModel' in task && rendersViews(task);
}

export class RenderPreview {
  private shown = 0;
  private round = 0;

  constructor(private readonly task: FederatedTask) {}

  /** Whether a page may ask for a render from its own pose. */
  get renderable(): boolean {
    return rendersPoses(this.task);
  }

  /** The newest evaluation's first held-out view, once per evaluation (else undefined). */
  next(round: number): RenderView | undefined {
    if (!keepsRenders(this.task)) return undefined;
    const snapshot = this.task.snapshots.at(-1);
    const view = snapshot?.views[0];
    if (!snapshot || !view || snapshot.evaluation === this.shown) return undefined;
    this.shown = snapshot.evaluation;
    this.round = round;
    const { width, height } = view.truth.camera;
    return {
      round,
      label: view.name.split('/').at(-1) ?? view.name,
      image: dataUrl(view.render),
      truth: dataUrl({ width, height, rgb: view.truth.rgb }),
      metrics: { psnr: view.psnr },
    };
  }

  /**
   * The last evaluated model from `pose`, with the first held-out view's camera (size, focal length, distance
   * to the scene's centre) moved on its orbit.
   */
  async render(pose: RenderPose): Promise<RenderView> {
    const task = this.task;
    if (!rendersPoses(task)) throw new Error('this task cannot render views');
    const model = task.lastEvaluatedModel;
    const reference = task.snapshots.at(-1)?.views[0]?.truth.camera;
    if (!model || !reference) throw new Error('no evaluated model yet: renders come after the first evaluation');
    const { width, height, focal, c2w } = reference;
    const view = await task.renderView(model, {
      width,
      height,
      fovXDegrees: (2 * Math.atan(width / (2 * focal)) * 180) / Math.PI,
      orbit: { azimuthDegrees: pose.azimuth, elevationDegrees: pose.elevation, radius: Math.hypot(c2w[3], c2w[7], c2w[11]) },
      depth: false,
    });
    return {
      round: this.round,
      label: `azimuth ${Math.round(pose.azimuth)}°, elevation ${Math.round(pose.elevation)}°`,
      image: pngDataUrl(view.png),
      metrics: {},
    };
  }
}

function dataUrl(image: Image): string {
  return pngDataUrl(encodeRgbPng(image.rgb, image.width, image.height));
}

function pngDataUrl(png: Uint8Array): string {
  return `data:image/png;base64,${Buffer.from(png.buffer, png.byteOffset, png.byteLength).toString('base64')}`;
}

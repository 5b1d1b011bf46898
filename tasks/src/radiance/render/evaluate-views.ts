// Held-out evaluation: render each view's camera and compare with its image (PSNR and SSIM per view,
// averaged over views as the NeRF papers report them).

import type { SceneView } from '../data/scene-dataset.js';
import type { Camera } from '../data/camera.js';
import type { RenderedView } from './grid-renderer.js';
import { psnr, ssim } from './image-metrics.js';

export interface ViewEvaluation {
  readonly psnr: number;
  readonly ssim: number;
  /** Per view, in the order given. */
  readonly perView: { name: string; psnr: number; ssim: number }[];
  readonly renders: RenderedView[];
}

/** Anything that renders a camera's view: the voxel grid's GridRenderer, the Gaussians' GaussianRenderer. */
export interface CameraRenderer {
  render(camera: Camera): RenderedView;
}

export function evaluateViews(renderer: CameraRenderer, views: readonly SceneView[], withSsim = true): ViewEvaluation {
  const perView: { name: string; psnr: number; ssim: number }[] = [];
  const renders: RenderedView[] = [];
  for (const view of views) {
    const out = renderer.render(view.camera);
    renders.push(out);
    perView.push({
      name: view.name,
      psnr: psnr(out.rgb, view.rgb),
      ssim: withSsim ? ssim(out.rgb, view.rgb, out.width, out.height) : Number.NaN,
    });
  }
  const mean = (k: 'psnr' | 'ssim'): number => perView.reduce((s, v) => s + v[k], 0) / Math.max(1, perView.length);
  return { psnr: mean('psnr'), ssim: mean('ssim'), perView, renders };
}

// A federated radiance task's held-out evaluation (the voxel grid's and the Gaussians' alike): render the
// first `evalViews` test views (all when 0), average PSNR and SSIM, and keep the renders of the first
// `snapshotViews` of them beside their ground truth for the report's renders by round.

import type { SceneView } from '../data/scene-dataset.js';
import { type CameraRenderer, evaluateViews } from '../render/evaluate-views.js';
import type { RenderedView } from '../render/grid-renderer.js';

/** Renders kept from one evaluation, for reports. */
export interface EvaluationSnapshot {
  /** 1-based count of evaluate() calls. */
  readonly evaluation: number;
  readonly views: { name: string; truth: SceneView; render: RenderedView; psnr: number }[];
  readonly metrics: Record<string, number>;
}

/**
 * Evaluates `renderer` on the held-out `test` views and appends a snapshot to `snapshots` when
 * `snapshotViews` > 0; returns the metrics (PSNR, SSIM and `extra`).
 */
export function evaluateWithSnapshots(
  renderer: CameraRenderer,
  test: readonly SceneView[],
  counts: { readonly evalViews: number; readonly snapshotViews: number },
  snapshots: EvaluationSnapshot[],
  extra: Record<string, number> = {},
): Record<string, number> {
  const views = counts.evalViews > 0 ? test.slice(0, counts.evalViews) : test;
  const result = evaluateViews(renderer, views);
  const metrics = { psnr: result.psnr, ssim: result.ssim, ...extra };
  const keep = Math.min(counts.snapshotViews, views.length);
  if (keep > 0) {
    snapshots.push({
      evaluation: snapshots.length + 1,
      views: views.slice(0, keep).map((truth, i) => ({ name: truth.name, truth, render: result.renders[i], psnr: result.perView[i].psnr })),
      metrics,
    });
  }
  return metrics;
}

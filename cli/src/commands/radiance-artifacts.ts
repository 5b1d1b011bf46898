// What both radiance trainers (voxel grid, Gaussians) write beside a run record: the machine it ran on and
// images (held-out truth beside a render and its depth).

import { cpus, hostname } from 'node:os';
import { join } from 'node:path';
import type { RunRecord } from '@strata/shared';
import {
  depthToRgb,
  horizontalStrip,
  writeRgbPng,
  type RenderedView,
  type SceneDataset,
  type SceneView,
  type ViewEvaluation,
} from '@strata/tasks';

export type Artifact = NonNullable<RunRecord['artifacts']>[number];

export function environment(): Record<string, unknown> {
  return { node: process.version, host: hostname(), cpus: cpus().length, cpuModel: cpus()[0]?.model, platform: process.platform };
}

/** Writes `<runDir>/<name>` and returns its artifact entry. */
export function imageArtifact(
  runDir: string,
  name: string,
  caption: string,
  image: { rgb: Float32Array; width: number; height: number },
): Artifact {
  writeRgbPng(join(runDir, name), image.rgb, image.width, image.height);
  return { path: name, caption, kind: 'image' };
}

export function truthBeside(
  truth: SceneView,
  render: RenderedView,
  dataset: SceneDataset,
): { rgb: Float32Array; width: number; height: number } {
  const { width, height } = truth.camera;
  return horizontalStrip([
    { width, height, rgb: truth.rgb },
    render,
    { width, height, rgb: depthToRgb(render, dataset.near, dataset.far) },
  ]);
}

/** The first three held-out views, each its truth beside the render and its depth, written as report images. */
export function heldOutArtifacts(runDir: string, dataset: SceneDataset, evaluation: ViewEvaluation): Artifact[] {
  return evaluation.renders.slice(0, 3).map((render, i) => {
    const truth = dataset.test[i];
    return imageArtifact(
      runDir,
      `final-view-${i}.png`,
      `held-out ${truth.name}: truth, render (PSNR ${evaluation.perView[i].psnr.toFixed(2)} dB), depth`,
      truthBeside(truth, render, dataset),
    );
  });
}

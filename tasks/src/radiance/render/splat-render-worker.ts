// Worker-thread entry for ParallelSplatRenderer: holds one copy of the Gaussian cloud (loaded once per model)
// and a rasterizer whose buffers live across frames; per frame it projects its part of the cloud into the
// projection all workers share, waits (Atomics) until the other parts are there, and renders the band of tile
// rows it is asked for from the whole projection into the frame's shared buffers.

import { parentPort } from 'node:worker_threads';
import { GaussianCloud } from '../model/gaussian-cloud.js';
import type { Vec3 } from '../model/grid-geometry.js';
import { GaussianRasterizer } from '../kernels/gaussian-rasterizer.js';
import { ProjectedGaussians, projectGaussians, projectionCamera, viewIndependentTerms } from '../kernels/gaussian-projection.js';
import type { Camera } from '../data/camera.js';
import { renderSplatBand, type SplatBand } from './gaussian-view.js';

export interface SplatWorkerLoad {
  readonly type: 'load';
  readonly count: number;
  readonly params: Float32Array;
  readonly shDegree: number;
  readonly background: Vec3;
  /** The projection every worker writes its part of and reads whole (ProjectedGaussians.shared). */
  readonly projected: Omit<ProjectedGaussians, 'ensure'>;
}

/** This worker's part of a frame's projection: Gaussians `first` to `end` - 1, then the barrier. */
export interface SplatProjectionPart {
  readonly first: number;
  readonly end: number;
  /** One int32 (a SharedArrayBuffer's), 0 at the frame's start: each worker adds 1 once its part is projected. */
  readonly arrived: Int32Array;
  /** Workers of the frame (its projection is whole once `arrived` reaches this). */
  readonly parts: number;
}

export interface SplatWorkerBand {
  readonly type: 'band';
  readonly camera: Camera;
  readonly band: SplatBand;
  readonly projection: SplatProjectionPart;
  /** Shared buffers of the whole frame: rgb (3 per pixel), depth and opacity (1 per pixel). */
  readonly rgb: Float32Array;
  readonly depth: Float32Array;
  readonly opacity: Float32Array;
  /** The colour as 8-bit rgb too (unitToByte), where the frame has it. */
  readonly rgb8?: Uint8Array;
}

/** How long a worker waits for the others' parts of a projection before it gives the frame up. */
const PROJECTION_WAIT_MS = 60_000;

let loaded: { cloud: GaussianCloud; terms: Float64Array; background: Vec3; rasterizer: GaussianRasterizer } | undefined;

/** Projects this worker's part of the frame into the shared projection and waits until every part is there. */
function projectPart(
  cloud: GaussianCloud,
  terms: Float64Array,
  camera: Camera,
  projected: ProjectedGaussians,
  part: SplatProjectionPart,
): void {
  try {
    projectGaussians(cloud, projectionCamera(camera), projected, part.first, part.end, terms);
  } finally {
    // Arrives even when its part failed (that band's request reports the error), so no other worker waits on.
    if (Atomics.add(part.arrived, 0, 1) + 1 >= part.parts) Atomics.notify(part.arrived, 0);
  }
  const deadline = performance.now() + PROJECTION_WAIT_MS;
  for (let seen = Atomics.load(part.arrived, 0); seen < part.parts; seen = Atomics.load(part.arrived, 0)) {
    const left = deadline - performance.now();
    if (left <= 0 || Atomics.wait(part.arrived, 0, seen, left) === 'timed-out')
      throw new Error(`splat render worker: ${part.parts - Atomics.load(part.arrived, 0)} of ${part.parts} projection parts never arrived`);
  }
}

parentPort?.on('message', (msg: SplatWorkerLoad | SplatWorkerBand) => {
  try {
    if (msg.type === 'load') {
      const cloud = new GaussianCloud(msg.count, msg.params, msg.shDegree);
      // The model is frozen: its view-independent terms are computed once, not in every frame's projection.
      const rasterizer = new GaussianRasterizer(ProjectedGaussians.over(msg.projected));
      loaded = { cloud, terms: viewIndependentTerms(cloud), background: msg.background, rasterizer };
      parentPort?.postMessage({ ok: true });
      return;
    }
    if (!loaded) throw new Error('band before load');
    const { cloud, terms, background, rasterizer } = loaded;
    projectPart(cloud, terms, msg.camera, rasterizer.projected, msg.projection);
    renderSplatBand(rasterizer, cloud, msg.camera, background, { ...msg.band, projected: true }, msg);
    parentPort?.postMessage({ ok: true });
  } catch (err) {
    parentPort?.postMessage({ ok: false, message: err instanceof Error ? `${err.message}\n${err.stack ?? ''}` : String(err) });
  }
});

// Worker-thread entry for ParallelSplatRenderer: holds one copy of the Gaussian cloud (loaded once per model)
// and a rasterizer whose buffers live across frames, and renders the band of tile rows it is asked for into
// the frame's shared buffers.

import { parentPort } from 'node:worker_threads';
import { GaussianCloud } from '../model/gaussian-cloud.js';
import type { Vec3 } from '../model/grid-geometry.js';
import { GaussianRasterizer } from '../kernels/gaussian-rasterizer.js';
import type { Camera } from '../data/camera.js';
import { renderSplatBand, type SplatBand } from './gaussian-view.js';

export interface SplatWorkerLoad {
  readonly type: 'load';
  readonly count: number;
  readonly params: Float32Array;
  readonly shDegree: number;
  readonly background: Vec3;
}

export interface SplatWorkerBand {
  readonly type: 'band';
  readonly camera: Camera;
  readonly band: SplatBand;
  /** Shared buffers of the whole frame: rgb (3 per pixel), depth and opacity (1 per pixel). */
  readonly rgb: Float32Array;
  readonly depth: Float32Array;
  readonly opacity: Float32Array;
}

let loaded: { cloud: GaussianCloud; background: Vec3 } | undefined;
const rasterizer = new GaussianRasterizer();

parentPort?.on('message', (msg: SplatWorkerLoad | SplatWorkerBand) => {
  try {
    if (msg.type === 'load') {
      loaded = { cloud: new GaussianCloud(msg.count, msg.params, msg.shDegree), background: msg.background };
      parentPort?.postMessage({ ok: true });
      return;
    }
    if (!loaded) throw new Error('band before load');
    renderSplatBand(rasterizer, loaded.cloud, msg.camera, loaded.background, msg.band, msg);
    parentPort?.postMessage({ ok: true });
  } catch (err) {
    parentPort?.postMessage({ ok: false, message: err instanceof Error ? `${err.message}\n${err.stack ?? ''}` : String(err) });
  }
});

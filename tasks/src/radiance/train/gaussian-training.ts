// Centralized Gaussian-splatting training (3DGS): random Gaussians in the scene box, one training image per
// step (shuffled each epoch) with an L1 loss, sparse Adam with an exponentially decaying position rate,
// adaptive density control in the first part of training, opacity resets, and one more SH degree every
// shDegreeEvery steps.

import { SeededRandom } from '@strata/shared';
import type { SceneDataset } from '../data/scene-dataset.js';
import { GaussianCloud } from '../model/gaussian-cloud.js';
import { GaussianRasterizer } from '../kernels/gaussian-rasterizer.js';
import { columnLearningRates, gaussianAdamStep } from './gaussian-adam.js';
import { densifyAndPrune, opacityResetDue, resetOpacity } from './gaussian-density-control.js';
import type { GaussianTrainingOptions } from './gaussian-training-options.js';
import { GaussianTrainState } from './gaussian-train-state.js';
import { GAUSSIAN_SH } from '../model/gaussian-cloud.js';

export interface GaussianTrainProgress {
  readonly step: number;
  readonly totalSteps: number;
  readonly count: number;
  readonly shDegree: number;
  /** PSNR of the last chunk's training images (as rendered before each step). */
  readonly trainPsnr: number;
  readonly stepsPerSecond: number;
  readonly pixelsPerSecond: number;
}

export interface GaussianTrainResult {
  readonly cloud: GaussianCloud;
  readonly steps: number;
  readonly pixels: number;
  readonly trainSeconds: number;
  /** CPU seconds of this process while training (the wall time on a shared machine says less). */
  readonly trainCpuSeconds: number;
}

export interface GaussianTrainObserver {
  progress?(p: GaussianTrainProgress): void;
}

/** 3DGS's scene extent: 1.1 times the largest distance of a training camera from the cameras' mean centre. */
export function cameraExtent(dataset: SceneDataset): number {
  const centres = dataset.train.map((v) => [v.camera.c2w[3], v.camera.c2w[7], v.camera.c2w[11]]);
  const mean = [0, 1, 2].map((a) => centres.reduce((s, c) => s + c[a], 0) / Math.max(1, centres.length));
  const radius = centres.reduce((r, c) => Math.max(r, Math.hypot(c[0] - mean[0], c[1] - mean[1], c[2] - mean[2])), 0);
  return 1.1 * Math.max(radius, 1e-6);
}

/** The gradient of the mean L1 loss between a render and its image (and their squared error, for PSNR). */
export function l1ImageGradient(rendered: Float32Array, truth: Float32Array): { dRgb: Float32Array; sse: number } {
  const n = rendered.length;
  const dRgb = new Float32Array(n);
  const scale = 1 / n;
  let sse = 0;
  for (let j = 0; j < n; j++) {
    const diff = rendered[j] - truth[j];
    sse += diff * diff;
    dRgb[j] = diff > 0 ? scale : diff < 0 ? -scale : 0;
  }
  return { dRgb, sse };
}

export function trainGaussians(
  dataset: SceneDataset,
  options: GaussianTrainingOptions,
  observer: GaussianTrainObserver = {},
  initial: GaussianCloud = GaussianCloud.randomInBox(dataset.bbox, options.initialCount, options.seed, options.initialOpacity),
): GaussianTrainResult {
  const started = performance.now();
  const cpuStarted = process.cpuUsage();
  const rng = new SeededRandom(options.seed).fork('gaussian-training');
  const state = new GaussianTrainState(initial);
  const rasterizer = new GaussianRasterizer();
  const extent = cameraExtent(dataset);
  const background = dataset.background;
  const lrs = columnLearningRates({
    position: options.lrPosition * extent,
    scale: options.lrScale,
    rotation: options.lrRotation,
    opacity: options.lrOpacity,
    color: options.lrColor,
  });
  const positionDecay = (options.lrPositionFinal / options.lrPosition) ** (1 / Math.max(1, options.steps - 1));
  const order = dataset.train.map((_, i) => i);
  let cursor = order.length;
  let pixels = 0;
  let chunkSse = 0,
    chunkValues = 0,
    chunkStart = performance.now(),
    chunkPixels = 0,
    chunkSteps = 0;
  let opacityWasReset = false;
  for (let step = 1; step <= options.steps; step++) {
    if (cursor >= order.length) {
      rng.shuffle(order);
      cursor = 0;
    }
    const view = dataset.train[order[cursor++]];
    const shDegree = Math.min(options.maxShDegree, Math.floor((step - 1) / options.shDegreeEvery));
    const positionLr = options.lrPosition * extent * positionDecay ** (step - 1);
    for (let a = 0; a < 3; a++) lrs[a] = positionLr;
    const cloud = state.cloud(shDegree);
    const frame = rasterizer.forward(cloud, view.camera, background);
    const n = frame.rgb.length;
    const loss = l1ImageGradient(frame.rgb, view.rgb);
    chunkSse += loss.sse;
    chunkValues += n;
    rasterizer.backward(loss.dRgb, state.grads, state.viewGradSum);
    const radius = rasterizer.projected.radius;
    for (let i = 0; i < state.count; i++) if (radius[i] !== 0) state.seen[i]++;
    gaussianAdamStep(state, radius, GAUSSIAN_SH + 3 * (shDegree + 1) ** 2, lrs, step);
    pixels += n / 3;
    chunkPixels += n / 3;
    chunkSteps++;

    if (step >= options.densifyFrom && step <= options.densifyUntil && step % options.densifyEvery === 0) {
      densifyAndPrune(
        state,
        {
          gradThreshold: options.densifyGradThreshold,
          splitSize: options.percentDense * extent,
          pruneOpacity: options.pruneOpacity,
          maxWorldSize: opacityWasReset ? 0.1 * extent : Number.POSITIVE_INFINITY,
          maxCount: options.maxCount,
        },
        rng,
      );
    }
    const resetSchedule = {
      every: options.opacityResetEvery,
      until: options.densifyUntil,
      total: options.steps,
      recovery: options.opacityResetRecovery,
    };
    if (opacityResetDue(step, resetSchedule)) {
      resetOpacity(state);
      opacityWasReset = true;
    }
    if (step % options.chunkSteps === 0 || step === options.steps) {
      const seconds = (performance.now() - chunkStart) / 1000;
      observer.progress?.({
        step,
        totalSteps: options.steps,
        count: state.count,
        shDegree,
        trainPsnr: -10 * Math.log10(chunkSse / chunkValues),
        stepsPerSecond: chunkSteps / seconds,
        pixelsPerSecond: chunkPixels / seconds,
      });
      chunkSse = chunkValues = chunkPixels = chunkSteps = 0;
      chunkStart = performance.now();
    }
  }
  const finalDegree = Math.min(options.maxShDegree, Math.floor((options.steps - 1) / options.shDegreeEvery));
  return {
    cloud: state.cloud(finalDegree).clone(),
    steps: options.steps,
    pixels,
    trainSeconds: (performance.now() - started) / 1000,
    trainCpuSeconds: cpuSeconds(process.cpuUsage(cpuStarted)),
  };
}

const cpuSeconds = (usage: NodeJS.CpuUsage): number => (usage.user + usage.system) / 1e6;

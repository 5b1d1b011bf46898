// A device of the federated Gaussian task: it holds some training views, trains the scaffold's Gaussians for
// κ1 local steps (one of its images a step, L1 loss, the sparse Adam; a Gaussian's moments stay on the device
// from round to round while its slot holds the same generation, as centralized training keeps them), and
// uploads, as sparse rows of the scaffold, the change of every Gaussian its images were composited from (row
// weight 1: the cloud adds the devices' changes up) and its densification statistic (row weight: the views
// that saw the row).
// It never adds or removes a Gaussian: the scaffold is the cloud's.

import {
  SeededRandom,
  type DeviceTrainer,
  type LocalTrainOptions,
  type ModelParams,
  type ModelUpdate,
  type SparseRows,
} from '@strata/shared';
import type { SceneView } from '../data/scene-dataset.js';
import type { Vec3 } from '../model/grid-geometry.js';
import { GAUSSIAN_SH, GAUSSIAN_STRIDE, type GaussianCloud } from '../model/gaussian-cloud.js';
import { GaussianRasterizer } from '../kernels/gaussian-rasterizer.js';
import { columnLearningRates, gaussianAdamStep } from '../train/gaussian-adam.js';
import { GaussianTrainState } from '../train/gaussian-train-state.js';
import { l1ImageGradient } from '../train/gaussian-training.js';
import {
  GAUSSIAN_DENSIFY_TENSOR,
  GAUSSIAN_PARAMETER_GROUPS,
  GAUSSIAN_PARAMS_TENSOR,
  GAUSSIAN_SCAFFOLD_TENSOR,
  GAUSSIAN_STRAIGHTNESS_TENSOR,
  scaffoldCloud,
} from './gaussian-scaffold.js';
import { resolveGaussianDeviceOptions } from './gaussian-task-options.js';

export interface GaussianDeviceConfig {
  readonly index: number;
  readonly views: readonly SceneView[];
  readonly background: Vec3;
  /** The scene extent of all training cameras (position rates scale with it, as centralized training's). */
  readonly extent: number;
  readonly seed: number;
}

/** A device's Adam moments per slot, and the generation of the Gaussian they belong to (0: none). */
interface SlotMoments {
  readonly generation: Float32Array;
  readonly m: Float32Array;
  readonly v: Float32Array;
  /** Adam steps this device has taken (bias correction continues across rounds). */
  steps: number;
}

export class GaussianDevice implements DeviceTrainer {
  readonly numSamples: number;
  private readonly rasterizer = new GaussianRasterizer();
  private moments: SlotMoments | undefined;

  constructor(private readonly config: GaussianDeviceConfig) {
    const first = config.views[0]?.camera;
    this.numSamples = config.views.length * (first ? first.width * first.height : 0);
  }

  async train(model: ModelParams, options: LocalTrainOptions): Promise<ModelUpdate> {
    const { views, background, extent } = this.config;
    const o = resolveGaussianDeviceOptions(options.options);
    const shDegree = Math.min(o.maxShDegree, Math.floor((options.round - 1) / o.shDegreeRounds));
    const { cloud, slots } = scaffoldCloud(model, shDegree);
    const capacity = model.get(GAUSSIAN_PARAMS_TENSOR)?.shape[0] ?? 0;
    if (o.uploadGradients === 1) return this.gradients(cloud, slots, capacity, shDegree, options);
    const state = new GaussianTrainState(cloud);
    const generations = model.get(GAUSSIAN_SCAFFOLD_TENSOR)?.values ?? new Float32Array(capacity);
    const moments = this.restoreMoments(state, slots, generations, capacity);
    const pixelsTouched = new Float32Array(cloud.count);
    const path = o.uploadStraightness === 1 ? new Float32Array(cloud.count * GAUSSIAN_STRIDE) : undefined;
    const lrs = columnLearningRates({
      position: o.lrPosition * extent,
      scale: o.lrScale,
      rotation: o.lrRotation,
      opacity: o.lrOpacity,
      color: o.lrColor,
    });
    const columns = GAUSSIAN_SH + 3 * (shDegree + 1) ** 2;
    const rng = new SeededRandom(this.config.seed).fork(`gaussian-device-${this.config.index}-round-${options.round}`);
    const order = rng.shuffle(views.map((_, i) => i));
    const steps = options.localSteps;
    let sse = 0,
      values = 0,
      pixels = 0;
    for (let step = 1; step <= steps; step++) {
      const view = views[order[(step - 1) % order.length]];
      // The position rate decays from lrPosition to lrPositionFinal over the run's rounds, as over centralized steps.
      const progress = Math.min(1, (options.round - 1 + (step - 1) / steps) / o.rounds);
      const positionLr = o.lrPosition * extent * (o.lrPositionFinal / o.lrPosition) ** progress;
      for (let a = 0; a < 3; a++) lrs[a] = positionLr;
      const frame = this.rasterizer.forward(state.cloud(shDegree), view.camera, background);
      const loss = l1ImageGradient(frame.rgb, view.rgb);
      sse += loss.sse;
      values += frame.rgb.length;
      pixels += frame.rgb.length / 3;
      this.rasterizer.backward(loss.dRgb, state.grads, state.viewGradSum, pixelsTouched);
      const radius = this.rasterizer.projected.radius;
      for (let i = 0; i < state.count; i++) if (radius[i] !== 0) state.seen[i]++;
      gaussianAdamStep(state, radius, columns, lrs, moments.steps + step, path);
    }
    this.keepMoments(state, slots, generations, moments, steps);
    const parameters = parameterRows(state, cloud.params, slots, pixelsTouched, capacity, o.uploadScale);
    const delta = new Map([
      [GAUSSIAN_PARAMS_TENSOR, parameters],
      [GAUSSIAN_DENSIFY_TENSOR, statisticRows(state, slots, capacity)],
    ]);
    if (o.uploadStraightness === 1) {
      delta.set(GAUSSIAN_STRAIGHTNESS_TENSOR, straightnessRows(state, cloud.params, path, slots, parameters.rows, capacity));
    }
    const weight = pixels;
    return { delta, weight, metrics: { loss: (sse / Math.max(1, values)) * weight, pixels } };
  }

  /**
   * The gradient of every Gaussian its images see, summed over κ1 of them at the model as received (no local
   * step: the cloud steps, by Adam over every device's images), with the statistic as in `train`.
   */
  private gradients(cloud: GaussianCloud, slots: Uint32Array, capacity: number, shDegree: number, options: LocalTrainOptions): ModelUpdate {
    const { views, background } = this.config;
    const state = new GaussianTrainState(cloud);
    const visible = new Uint8Array(cloud.count);
    const rng = new SeededRandom(this.config.seed).fork(`gaussian-device-${this.config.index}-round-${options.round}`);
    const order = rng.shuffle(views.map((_, i) => i));
    let sse = 0,
      values = 0,
      pixels = 0;
    for (let step = 1; step <= options.localSteps; step++) {
      const view = views[order[(step - 1) % order.length]];
      const frame = this.rasterizer.forward(state.cloud(shDegree), view.camera, background);
      const loss = l1ImageGradient(frame.rgb, view.rgb);
      sse += loss.sse;
      values += frame.rgb.length;
      pixels += frame.rgb.length / 3;
      this.rasterizer.backward(loss.dRgb, state.grads, state.viewGradSum);
      const radius = this.rasterizer.projected.radius;
      for (let i = 0; i < state.count; i++) {
        if (radius[i] === 0) continue;
        state.seen[i]++;
        visible[i] = 1;
      }
    }
    let count = 0;
    for (let i = 0; i < state.count; i++) count += visible[i];
    const rows = new Uint32Array(count);
    const gradients = new Float32Array(count * GAUSSIAN_STRIDE);
    for (let i = 0, k = 0; i < state.count; i++) {
      if (visible[i] === 0) continue;
      rows[k] = slots[i];
      gradients.set(state.grads.subarray(i * GAUSSIAN_STRIDE, (i + 1) * GAUSSIAN_STRIDE), k * GAUSSIAN_STRIDE);
      k++;
    }
    const parameters: SparseRows = {
      kind: 'sparse',
      shape: [capacity, GAUSSIAN_STRIDE],
      rows,
      values: gradients,
      rowWeights: new Float32Array(count).fill(1),
    };
    const delta = new Map([
      [GAUSSIAN_PARAMS_TENSOR, parameters],
      [GAUSSIAN_DENSIFY_TENSOR, statisticRows(state, slots, capacity)],
    ]);
    const weight = pixels;
    return { delta, weight, metrics: { loss: (sse / Math.max(1, values)) * weight, pixels } };
  }

  /** Loads the moments this device kept for the slots whose Gaussian is still of the same generation. */
  private restoreMoments(state: GaussianTrainState, slots: Uint32Array, generations: Float32Array, capacity: number): SlotMoments {
    if (this.moments?.generation.length !== capacity) {
      this.moments = {
        generation: new Float32Array(capacity),
        m: new Float32Array(capacity * GAUSSIAN_STRIDE),
        v: new Float32Array(capacity * GAUSSIAN_STRIDE),
        steps: 0,
      };
    }
    const { generation, m, v } = this.moments;
    for (let i = 0; i < slots.length; i++) {
      const slot = slots[i];
      if (generation[slot] !== generations[slot]) continue;
      state.adamM.set(m.subarray(slot * GAUSSIAN_STRIDE, (slot + 1) * GAUSSIAN_STRIDE), i * GAUSSIAN_STRIDE);
      state.adamV.set(v.subarray(slot * GAUSSIAN_STRIDE, (slot + 1) * GAUSSIAN_STRIDE), i * GAUSSIAN_STRIDE);
    }
    return this.moments;
  }

  /** Keeps this round's moments of every scaffold row, under the row's generation. */
  private keepMoments(state: GaussianTrainState, slots: Uint32Array, generations: Float32Array, moments: SlotMoments, steps: number): void {
    for (let i = 0; i < slots.length; i++) {
      const slot = slots[i];
      moments.generation[slot] = generations[slot];
      moments.m.set(state.adamM.subarray(i * GAUSSIAN_STRIDE, (i + 1) * GAUSSIAN_STRIDE), slot * GAUSSIAN_STRIDE);
      moments.v.set(state.adamV.subarray(i * GAUSSIAN_STRIDE, (i + 1) * GAUSSIAN_STRIDE), slot * GAUSSIAN_STRIDE);
    }
    moments.steps += steps;
  }
}

/**
 * The change (times `scale`) of every Gaussian composited into at least one pixel, with row weight 1: the
 * tiers' per-row mean is over the devices that changed the row, and the summed weight counts them.
 */
function parameterRows(
  state: GaussianTrainState,
  received: Float32Array,
  slots: Uint32Array,
  pixelsTouched: Float32Array,
  capacity: number,
  scale: number,
): SparseRows {
  let count = 0;
  for (let i = 0; i < state.count; i++) if (pixelsTouched[i] > 0) count++;
  const rows = new Uint32Array(count);
  const rowWeights = new Float32Array(count);
  const values = new Float32Array(count * GAUSSIAN_STRIDE);
  for (let i = 0, k = 0; i < state.count; i++) {
    if (!(pixelsTouched[i] > 0)) continue;
    rows[k] = slots[i];
    rowWeights[k] = 1;
    for (let j = 0, at = i * GAUSSIAN_STRIDE; j < GAUSSIAN_STRIDE; j++)
      values[k * GAUSSIAN_STRIDE + j] = scale * (state.params[at + j] - received[at + j]);
    k++;
  }
  return { kind: 'sparse', shape: [capacity, GAUSSIAN_STRIDE], rows, values, rowWeights };
}

/**
 * For the uploaded rows (`rows`, slots ascending, as `parameterRows` chose them), the straightness of each
 * parameter group's path: |change| summed over the group's columns over the path length (the Adam steps'
 * sizes) summed likewise; 1 for a path that never turned back, near 0 for one that circled where it began.
 */
function straightnessRows(
  state: GaussianTrainState,
  received: Float32Array,
  path: Float32Array | undefined,
  slots: Uint32Array,
  rows: Uint32Array,
  capacity: number,
): SparseRows {
  const groups = GAUSSIAN_PARAMETER_GROUPS.length;
  const values = new Float32Array(rows.length * groups);
  for (let i = 0, k = 0; i < state.count && k < rows.length; i++) {
    if (slots[i] !== rows[k]) continue;
    const at = i * GAUSSIAN_STRIDE;
    GAUSSIAN_PARAMETER_GROUPS.forEach(([first, end], g) => {
      let change = 0,
        length = 0;
      for (let j = at + first; j < at + end; j++) {
        change += Math.abs(state.params[j] - received[j]);
        length += path?.[j] ?? 0;
      }
      values[k * groups + g] = length > 0 ? Math.min(1, change / length) : 0;
    });
    k++;
  }
  return { kind: 'sparse', shape: [capacity, groups], rows, values, rowWeights: new Float32Array(rows.length).fill(1) };
}

/** This device's mean screen-space gradient of every Gaussian its views saw, weighted by those views. */
function statisticRows(state: GaussianTrainState, slots: Uint32Array, capacity: number): SparseRows {
  let count = 0;
  for (let i = 0; i < state.count; i++) if (state.seen[i] > 0) count++;
  const rows = new Uint32Array(count);
  const rowWeights = new Float32Array(count);
  const values = new Float32Array(count);
  for (let i = 0, k = 0; i < state.count; i++) {
    if (state.seen[i] === 0) continue;
    rows[k] = slots[i];
    rowWeights[k] = state.seen[i];
    values[k] = state.viewGradSum[i] / state.seen[i];
    k++;
  }
  return { kind: 'sparse', shape: [capacity, 1], rows, values, rowWeights };
}

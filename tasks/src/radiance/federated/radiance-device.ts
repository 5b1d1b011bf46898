// A device of the federated voxel-grid task: it holds some training views (its private data), trains the
// model it receives for κ1 local steps (a step is one batch of rays drawn from its views, with a fresh
// sparse Adam each round) and uploads only the grid points it touched, as sparse rows. With the shared
// second moment (the default) its steps divide by the moment in the model, every touched point counts once
// per device, and it uploads its squared gradients for the next moment; without it, it steps with its own
// Adam and weights each point by how well it saw it (the sum over its samples of trilinear weight times
// transmittance).

import {
  ConfigError,
  StrataError,
  type DeviceTrainer,
  type LocalTrainOptions,
  type ModelParams,
  type ModelUpdate,
  type SparseRows,
} from '@strata/shared';
import type { GridGeometry } from '../model/grid-geometry.js';
import type { MarchSettings } from '../model/march-settings.js';
import { COLOR_TENSOR, DENSITY_TENSOR, VoxelGrid } from '../model/voxel-grid.js';
import type { RaySet } from '../kernels/ray-set.js';
import { computeOccupancy } from '../kernels/occupancy.js';
import type { TrainingBuffers } from '../train/trainer-thread.js';
import type { DeviceTrainingPool } from './device-training-pool.js';
import { resolveDeviceOptions } from './radiance-task-options.js';
import { loadSharedMoment, momentDeltas } from './shared-second-moment.js';
import { PrunedUploadFeedback, uploadTensors } from './pruned-upload.js';

export interface RadianceDeviceConfig {
  readonly index: number;
  readonly geometry: GridGeometry;
  readonly shDegree: number;
  readonly settings: MarchSettings;
  readonly rays: RaySet;
  readonly seed: number;
  readonly pool: DeviceTrainingPool;
}

export class RadianceDevice implements DeviceTrainer {
  readonly numSamples: number;
  /** What pruned uploads held back (created by the first round that prunes). */
  private feedback: PrunedUploadFeedback | undefined;

  constructor(private readonly config: RadianceDeviceConfig) {
    this.numSamples = config.rays.count;
  }

  async train(model: ModelParams, options: LocalTrainOptions): Promise<ModelUpdate> {
    const { geometry, shDegree, settings, pool, rays } = this.config;
    const o = resolveDeviceOptions(options.options);
    const received = VoxelGrid.fromModelParams(model, geometry, shDegree);
    // Pruned uploads: train on from where this device left its points (the received model plus what it held).
    let start = received;
    if (o.uploadShare < 1 && this.feedback) {
      start = received.clone();
      this.feedback.addHeldTo(start.density, start.sh);
    }
    const occupancy = computeOccupancy(start, settings).occupancy;
    const decay = o.lrRoundDecay ** Math.max(0, options.round - 1);
    return pool.use(start, occupancy, rays, async (trainer, buffers) => {
      if (buffers.sharedMoment) loadSharedMoment(model, buffers.sharedMoment, o.sharedMomentDivisor, o.batchSize);
      const result = await trainer.run({
        firstStep: 1,
        steps: options.localSteps,
        batchSize: o.batchSize,
        lrDensity: o.lrDensity * decay,
        lrColor: o.lrColor * decay,
        lrDecayPerStep: 1,
        tvDensity: o.tvDensity,
        tvColor: o.tvColor,
        beta1: 0.9,
        beta2: 0.99,
        epsilon: o.adamEpsilon,
        seed: this.config.seed + 1009 * options.round + 7 * this.config.index,
        sharedStepClip: o.sharedStepClip,
      });
      const weight = result.rays;
      const mse = result.sse / (3 * Math.max(1, result.rays));
      let delta = touchedDelta(received, buffers);
      let momentRows = (delta.get(DENSITY_TENSOR) as SparseRows).rows;
      if (o.uploadShare < 1) {
        const upload = this.prune(delta, received, o.uploadShare, o.heldAsZero === 1, o.lrDensity * decay, o.lrColor * decay);
        delta = upload.delta;
        momentRows = upload.momentRows;
      }
      if (buffers.sharedMoment) {
        for (const [name, t] of momentDeltas(model, buffers.sharedMoment, momentRows, o.batchSize)) delta.set(name, t);
      }
      return { delta, weight, metrics: { loss: mse * weight, rays: result.rays, samples: result.samples } };
    });
  }

  /**
   * The share of this round's touched points (and of those held from earlier rounds) whose change since the
   * received model is largest; the rest is held for later rounds. The moment goes up for the sent points
   * that were touched (a moment needs steps behind it). With `heldAsZero`, the touched points held back go up
   * as zero rows.
   */
  private prune(
    delta: Map<string, SparseRows>,
    received: VoxelGrid,
    share: number,
    heldAsZero: boolean,
    densityStep: number,
    colorStep: number,
  ): { delta: Map<string, SparseRows>; momentRows: Uint32Array } {
    const density = delta.get(DENSITY_TENSOR) as SparseRows;
    const color = delta.get(COLOR_TENSOR) as SparseRows;
    if (density.rowWeights) {
      throw new ConfigError('pruned uploads (uploadShare < 1) need the shared second moment (sharedSecondMoment=true)');
    }
    const C = received.channels;
    this.feedback ??= new PrunedUploadFeedback(received.pointCount, C);
    const upload = this.feedback.select(
      { rows: density.rows, density: density.values, color: color.values },
      share,
      Math.max(densityStep, Number.MIN_VALUE),
      Math.max(colorStep, Number.MIN_VALUE),
    );
    const [d, c] = uploadTensors(upload, received.pointCount, C, heldAsZero);
    const momentRows = upload.rows.filter((_, i) => upload.touched[i] === 1);
    return {
      delta: new Map([
        [DENSITY_TENSOR, d],
        [COLOR_TENSOR, c],
      ]),
      momentRows,
    };
  }
}

/**
 * The trained buffers minus the received grid, on the points training touched; weighted by visibility when
 * the buffers track it, else without row weights (every point then counts as much as the whole update, the
 * same for every device).
 */
function touchedDelta(received: VoxelGrid, buffers: TrainingBuffers): Map<string, SparseRows> {
  const touched = buffers.everTouched;
  const visibility = buffers.grads[0].visibility;
  if (!touched) throw new StrataError('STRATA_ERR_INTERNAL', 'device training buffers must track touched points');
  let count = 0;
  for (let v = 0; v < touched.length; v++) count += touched[v];
  const rows = new Uint32Array(count);
  const weights = visibility ? new Float32Array(count) : null;
  const C = received.channels;
  const dDensity = new Float32Array(count);
  const dSh = new Float32Array(count * C);
  let n = 0;
  for (let v = 0; v < touched.length; v++) {
    if (touched[v] === 0) continue;
    rows[n] = v;
    // A point can be touched with zero weight (a sample exactly on a cell face); keep it aggregable.
    if (weights && visibility) weights[n] = Math.max(visibility[v], 1e-12);
    dDensity[n] = buffers.density[v] - received.density[v];
    for (let c = 0; c < C; c++) dSh[n * C + c] = buffers.sh[v * C + c] - received.sh[v * C + c];
    n++;
  }
  const v = received.pointCount;
  const rowWeights = weights ? { rowWeights: weights } : {};
  return new Map([
    [DENSITY_TENSOR, { kind: 'sparse', shape: [v, 1], rows, values: dDensity, ...rowWeights }],
    [COLOR_TENSOR, { kind: 'sparse', shape: [v, C], rows, values: dSh, ...rowWeights }],
  ]);
}

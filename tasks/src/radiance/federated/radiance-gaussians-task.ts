// The federated Gaussian-splatting task (`radiance/gaussians`): the model is a scaffold of Gaussians owned by
// the cloud (gaussian-scaffold.ts); devices hold disjoint subsets of the training views. By default
// (`combineChanges: 'serverAdam'`) a device uploads the gradient of each Gaussian its images see, at the model it
// received, and the cloud takes one large-batch Adam step a round (gaussian-server-adam.ts); otherwise devices
// train the Gaussians with Adam and upload the changes as sparse rows (row weight 1), which edges and the cloud
// average per row and the cloud may rescale (the mean, the sum of the devices' changes, or by the straightness
// of their paths). Devices upload their densification statistic either way; between
// rounds the cloud clones, splits and prunes from the statistic pooled over every view, on centralized training's schedule
// (stretched to the federation's images). The held-out views are rendered centrally to evaluate.

import {
  NewestCompactModel,
  SeededRandom,
  ServerStateError,
  cloneModel,
  type CompactModelSource,
  type DeviceTrainer,
  type FederatedTask,
  type ModelParams,
  type ModelUpdate,
  type TaskLimits,
  type ViewFrameRenderer,
  type UpdateSender,
} from '@strata/shared';
import type { SceneDataset, SceneView } from '../data/scene-dataset.js';
import { encodeCompactGaussians } from '../io/compact-gaussian-file.js';
import { GAUSSIAN_SH, GaussianCloud } from '../model/gaussian-cloud.js';
import { columnLearningRates } from '../train/gaussian-adam.js';
import { GaussianRenderer } from '../render/gaussian-renderer.js';
import { ParallelSplatRenderer } from '../render/parallel-splat-renderer.js';
import { RadianceFrameRenderer } from '../render/viewing-session-rendering.js';
import { opacityResetDue } from '../train/gaussian-density-control.js';
import { cameraExtent } from '../train/gaussian-training.js';
import type { GaussianTrainingOptions } from '../train/gaussian-training-options.js';
import { GaussianDevice } from './gaussian-device.js';
import { PooledStatistic } from './gaussian-pooled-statistic.js';
import { GaussianServerAdam } from './gaussian-server-adam.js';
import { restoreGaussianServerState, saveGaussianServerState } from './gaussian-server-state.js';
import {
  GAUSSIAN_DENSIFY_TENSOR,
  GAUSSIAN_PARAMS_TENSOR,
  GAUSSIAN_SCAFFOLD_TENSOR,
  GAUSSIAN_GRADIENT_LIMIT,
  checkScaffoldUpdate,
  combineDeviceChanges,
  refreshScaffold,
  scaffoldCloud,
  scaffoldModel,
  type ScaffoldRefresh,
  type ScaffoldRefreshResult,
} from './gaussian-scaffold.js';
import { stretchedTrainingOptions, type GaussianDeviceOptions, type GaussianTaskOptions } from './gaussian-task-options.js';
import { partitionViews } from './partition-views.js';
import { type EvaluationSnapshot, evaluateWithSnapshots } from './held-out-snapshots.js';

export const GAUSSIANS_TASK_ID = 'radiance/gaussians';

export class RadianceGaussiansTask implements FederatedTask, CompactModelSource {
  readonly id = GAUSSIANS_TASK_ID;
  readonly numDevices: number;
  readonly partitions: readonly (readonly SceneView[])[];
  /** Centralized training's options for the federation's images: the schedule the cloud follows, and the baseline's. */
  readonly schedule: GaussianTrainingOptions;
  readonly snapshots: EvaluationSnapshot[] = [];
  /** What each scaffold refresh did, by round. */
  readonly refreshes: (ScaffoldRefreshResult & { round: number })[] = [];
  /** A copy of the model the last evaluate() saw (the runtime does not hand back its final model). */
  lastEvaluatedModel: ModelParams | null = null;
  private readonly extent: number;
  private frames: { model: ModelParams; parallel: ParallelSplatRenderer; renderer: RadianceFrameRenderer } | undefined;
  private readonly compact = new NewestCompactModel();
  /** With combineChanges 'serverAdam': the cloud's Adam moments and the statistic pooled between densifications. */
  private readonly serverAdam: { adam: GaussianServerAdam; statistic: PooledStatistic } | undefined;

  constructor(
    readonly dataset: SceneDataset,
    readonly options: GaussianTaskOptions,
  ) {
    this.numDevices = options.devices;
    this.partitions = partitionViews(dataset.train, options.devices, options.partition, options.seed);
    this.schedule = stretchedTrainingOptions(options, options.rounds * options.imagesPerRound);
    this.extent = cameraExtent(dataset);
    if (options.combineChanges === 'serverAdam') {
      this.serverAdam = { adam: new GaussianServerAdam(options.capacity), statistic: new PooledStatistic(options.capacity) };
    }
  }

  describe(): Record<string, unknown> {
    return {
      scene: this.dataset.name,
      trainViews: this.dataset.train.length,
      testViews: this.dataset.test.length,
      imageSize: `${this.dataset.train[0]?.camera.width}x${this.dataset.train[0]?.camera.height}`,
      ...this.options,
      viewsPerDevice: this.partitions.map((p) => p.length),
      schedule: this.schedule,
    };
  }

  /** The initial Gaussians: random in the scene box, as centralized training starts. */
  initialCloud(): GaussianCloud {
    return GaussianCloud.randomInBox(this.dataset.bbox, this.options.initialCount, this.options.seed, this.options.initialOpacity);
  }

  initModel(): ModelParams {
    return scaffoldModel(this.initialCloud(), this.options.capacity, this.options.combineChanges === 'straightness');
  }

  createDevice(index: number): DeviceTrainer {
    return new GaussianDevice({
      index,
      views: this.partitions[index],
      background: this.dataset.background,
      extent: this.extent,
      seed: this.options.seed,
    });
  }

  /**
   * A device's weight is the pixels it trained (κ1 images at most); a row's weight is 1 (parameters, checked
   * exactly by checkUpdate) or the views that saw it (the statistic, at most κ1).
   */
  limits(localSteps: number): TaskLimits {
    const largest = Math.max(...this.dataset.train.map((v) => v.camera.width * v.camera.height));
    return {
      maxDeviceWeight: localSteps * largest,
      maxRowWeight: { base: localSteps, perWeight: 0 },
      maxEvaluationCount: 0,
      metricRanges: {},
    };
  }

  defaultOptions(): Record<string, number> {
    const { lrPosition, lrPositionFinal, lrScale, lrRotation, lrOpacity, lrColor, maxShDegree, uploadScale } = this.options;
    const options: GaussianDeviceOptions = {
      lrPosition,
      lrPositionFinal,
      lrScale,
      lrRotation,
      lrOpacity,
      lrColor,
      maxShDegree,
      uploadScale,
      rounds: this.options.rounds,
      uploadStraightness: this.options.combineChanges === 'straightness' ? 1 : 0,
      uploadGradients: this.options.combineChanges === 'serverAdam' ? 1 : 0,
      shDegreeRounds: this.schedule.shDegreeEvery / this.options.imagesPerRound,
    };
    return { ...options };
  }

  checkUpdate(update: ModelUpdate, model: ModelParams, from: UpdateSender): void {
    const iterations = this.options.kappa2;
    // A device's gradient rows sum its κ1 images; an edge's are the mean of its devices' sums.
    const gradientLimit = this.serverAdam ? GAUSSIAN_GRADIENT_LIMIT * this.options.kappa1 : undefined;
    checkScaffoldUpdate(update, model, from, { maxDevices: this.numDevices * iterations, iterations, gradientLimit });
  }

  /** Combines the devices' changes of each Gaussian as `combineChanges` says (see `combineDeviceChanges`). */
  beforeApply(combined: ModelUpdate, round: number, model: ModelParams): void {
    if (!this.serverAdam) {
      combineDeviceChanges(combined, this.options.combineChanges, this.options.kappa2);
      return;
    }
    const statistic = combined.delta.get(GAUSSIAN_DENSIFY_TENSOR);
    if (statistic?.kind === 'sparse') this.serverAdam.statistic.add(statistic);
    const gradients = combined.delta.get(GAUSSIAN_PARAMS_TENSOR);
    const generations = model.get(GAUSSIAN_SCAFFOLD_TENSOR)?.values;
    if (gradients?.kind !== 'sparse' || !generations) return;
    let views: Float32Array | undefined;
    if (this.options.serverBatch === 'views' && statistic?.kind === 'sparse' && statistic.rowWeights) {
      views = new Float32Array(this.options.capacity);
      const weights = statistic.rowWeights;
      statistic.rows.forEach((row, k) => {
        views![row] = weights[k];
      });
    }
    this.serverAdam.adam.step(gradients, generations, { ...this.serverStep(round), views });
  }

  /** Under serverAdam, the cloud's moments and pooled statistic (gaussian-server-state.ts); else none. */
  serverState(): Uint8Array | undefined {
    return this.serverAdam && saveGaussianServerState(this.serverAdam.adam, this.serverAdam.statistic);
  }

  restoreServerState(bytes: Uint8Array): void {
    if (!this.serverAdam) {
      throw new ServerStateError(
        `the saved state of radiance/gaussians: this run (combineChanges '${this.options.combineChanges}') keeps no server state`,
      );
    }
    restoreGaussianServerState(bytes, this.serverAdam.adam, this.serverAdam.statistic);
  }

  /** Centralized training's learning rates and SH columns at `round`, for the cloud's Adam step. */
  private serverStep(round: number): { batch: number; lrs: Float32Array; columns: number; lrExponent: number } {
    const o = this.options;
    const progress = Math.min(1, (round - 1) / Math.max(1, o.rounds - 1));
    const lrs = columnLearningRates({
      position: o.lrPosition * this.extent * (o.lrPositionFinal / o.lrPosition) ** progress,
      scale: o.lrScale,
      rotation: o.lrRotation,
      opacity: o.lrOpacity,
      color: o.lrColor,
    });
    const shDegree = Math.min(o.maxShDegree, Math.floor((round - 1) / (this.schedule.shDegreeEvery / o.imagesPerRound)));
    return { batch: o.imagesPerRound, lrs, columns: GAUSSIAN_SH + 3 * (shDegree + 1) ** 2, lrExponent: o.serverLrExponent };
  }

  /**
   * What the cloud does to the scaffold after `round`: centralized training's steps that fall in its images
   * (the opacity resets only with `resetOpacity`; large Gaussians are pruned after the first reset's step either way).
   */
  refreshAfter(round: number): ScaffoldRefresh {
    const s = this.schedule;
    const perRound = this.options.imagesPerRound;
    const first = (round - 1) * perRound + 1,
      last = round * perRound;
    const resets = { every: s.opacityResetEvery, until: s.densifyUntil, total: s.steps, recovery: s.opacityResetRecovery };
    const any = (from: number, to: number, due: (step: number) => boolean): boolean => {
      for (let step = from; step <= to; step++) if (due(step)) return true;
      return false;
    };
    const resetBefore = any(1, first - 1, (step) => opacityResetDue(step, resets));
    return {
      densify: any(first, last, (step) => step >= s.densifyFrom && step <= s.densifyUntil && step % s.densifyEvery === 0),
      resetOpacity: this.options.resetOpacity && any(first, last, (step) => opacityResetDue(step, resets)),
      settings: {
        gradThreshold: s.densifyGradThreshold,
        splitSize: s.percentDense * this.extent,
        pruneOpacity: s.pruneOpacity,
        maxWorldSize: resetBefore ? 0.1 * this.extent : Number.POSITIVE_INFINITY,
      },
    };
  }

  afterRound(model: ModelParams, round: number): void {
    const rng = new SeededRandom(this.options.seed).fork(`gaussian-scaffold-${round}`);
    const refresh = this.refreshAfter(round);
    if (this.serverAdam && refresh.densify) {
      const densify = model.get(GAUSSIAN_DENSIFY_TENSOR);
      if (densify) this.serverAdam.statistic.takeInto(densify.values);
    }
    if (this.serverAdam && refresh.resetOpacity) this.serverAdam.adam.resetOpacity();
    this.refreshes.push({ round, ...refreshScaffold(model, refresh, round + 1, rng) });
  }

  /** The scaffold's Gaussians at the highest SH degree (coefficients above the degree trained so far are zero). */
  cloud(model: ModelParams): GaussianCloud {
    return scaffoldCloud(model, this.options.maxShDegree).cloud;
  }

  async evaluate(model: ModelParams): Promise<Record<string, number>> {
    const cloud = this.cloud(model);
    const renderer = new GaussianRenderer(cloud, this.dataset.background);
    const metrics = evaluateWithSnapshots(renderer, this.dataset.test, this.options, this.snapshots, { gaussians: cloud.count });
    this.lastEvaluatedModel = cloneModel(model);
    return metrics;
  }

  /**
   * The frame renderer of `model` for viewing sessions (an edge streaming frames, remote and co-rendering):
   * the Gaussians across worker threads, kept while the model stays the same and closed when a newer one
   * replaces it.
   */
  frameRenderer(model: ModelParams): ViewFrameRenderer {
    if (this.frames?.model !== model) {
      void this.frames?.parallel.close();
      const parallel = new ParallelSplatRenderer(this.cloud(model), this.dataset.background);
      this.frames = { model, parallel, renderer: new RadianceFrameRenderer(parallel, this.dataset.near, this.dataset.far) };
    }
    return this.frames.renderer;
  }

  /**
   * The compact file (.strg, compact-gaussian-file.ts) of `model`'s Gaussians, what a device downloads to render
   * locally (coefficients of degrees not trained yet are zeros, which brotli all but removes); an edge serving
   * many devices encodes each model once.
   */
  compactModel(model: ModelParams): Promise<Uint8Array> {
    const { near, far, background } = this.dataset;
    // The depth range the edge's depth frames are quantised to, and the background: a device renders and warps with them.
    const meta = { task: this.id, near, far, background: [...background] };
    return this.compact.get(model, (newest) => encodeCompactGaussians(this.cloud(newest), meta));
  }

  async close(): Promise<void> {
    await this.frames?.parallel.close();
    this.frames = undefined;
  }
}

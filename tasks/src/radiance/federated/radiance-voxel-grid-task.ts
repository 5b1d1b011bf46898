// The federated voxel-grid radiance field (`radiance/voxel-grid`): the model is a density grid [V, 1] and
// an SH colour grid [V, C] over one fixed geometry, and by default the devices' shared second moment (two
// more [V, 1] tensors); devices hold disjoint subsets of the training views and upload sparse deltas of the
// points they touched; the held-out views are rendered centrally to evaluate. It also
// renders any camera from a model, which is what an edge does for its devices (remote rendering) and what
// a device does for itself (local rendering).

import {
  NewestCompactModel,
  cloneModel,
  type DeviceTrainer,
  type FederatedTask,
  type ModelParams,
  type ViewImage,
  type ViewRenderer,
  type CompactModelSource,
  type ViewRequest,
  type ViewFrameRenderer,
  type TaskLimits,
} from '@strata/shared';
import type { SceneDataset, SceneView } from '../data/scene-dataset.js';
import { geometryForPointCount, gridPointCount, meanVoxelSize, type GridGeometry } from '../model/grid-geometry.js';
import type { MarchSettings } from '../model/march-settings.js';
import { VoxelGrid } from '../model/voxel-grid.js';
import { buildRaySet } from '../kernels/build-ray-set.js';
import { GridRenderer } from '../render/grid-renderer.js';
import { RadianceViewRenderer } from '../render/radiance-view-renderer.js';
import { ParallelGridRenderer } from '../render/parallel-grid-renderer.js';
import { encodeCompactRadianceModel } from '../io/compact-model-file.js';
import { RadianceFrameRenderer } from '../render/viewing-session-rendering.js';
import { marchSettingsFor } from '../train/centralized-training.js';
import { createGridTrainer } from '../train/worker-grid-trainer.js';
import { DeviceTrainingPool } from './device-training-pool.js';
import { partitionViews } from './partition-views.js';
import { RadianceDevice } from './radiance-device.js';
import { initialMomentTensors } from './shared-second-moment.js';
import {
  DEFAULT_RADIANCE_DEVICE_OPTIONS,
  DEFAULT_RADIANCE_TASK_OPTIONS,
  RADIANCE_TASK_ID,
  validateRadianceTaskOptions,
  type RadianceTaskOptions,
} from './radiance-task-options.js';
import { type EvaluationSnapshot, evaluateWithSnapshots } from './held-out-snapshots.js';

export class RadianceVoxelGridTask implements FederatedTask, ViewRenderer, CompactModelSource {
  readonly id = RADIANCE_TASK_ID;
  readonly numDevices: number;
  readonly options: RadianceTaskOptions;
  readonly geometry: GridGeometry;
  readonly settings: MarchSettings;
  readonly partitions: readonly (readonly SceneView[])[];
  readonly snapshots: EvaluationSnapshot[] = [];
  /** A copy of the model the last evaluate() saw (the runtime does not hand back its final model). */
  lastEvaluatedModel: ModelParams | null = null;
  private readonly pool: DeviceTrainingPool;
  private readonly views: RadianceViewRenderer;
  private frames: { model: ModelParams; parallel: ParallelGridRenderer; renderer: RadianceFrameRenderer } | undefined;
  private readonly compact = new NewestCompactModel();

  constructor(
    readonly dataset: SceneDataset,
    options: Partial<RadianceTaskOptions> = {},
  ) {
    this.options = {
      ...DEFAULT_RADIANCE_TASK_OPTIONS,
      ...options,
      deviceOptions: { ...DEFAULT_RADIANCE_DEVICE_OPTIONS, ...options.deviceOptions },
    };
    validateRadianceTaskOptions(this.options);
    this.numDevices = this.options.devices;
    this.geometry = geometryForPointCount(this.options.bbox ?? dataset.bbox, this.options.points);
    this.settings = radianceTaskSettings(dataset, this.options);
    this.partitions = partitionViews(dataset.train, this.options.devices, this.options.partition, this.options.seed);
    this.pool = new DeviceTrainingPool(this.options.threads, this.settings, this.options.sharedSecondMoment, createGridTrainer);
    this.views = new RadianceViewRenderer((model) => this.renderer(model), dataset.near, dataset.far);
  }

  describe(): Record<string, unknown> {
    return {
      scene: this.dataset.name,
      trainViews: this.dataset.train.length,
      testViews: this.dataset.test.length,
      imageSize: `${this.dataset.train[0]?.camera.width}x${this.dataset.train[0]?.camera.height}`,
      ...this.options,
      gridDims: this.geometry.dims,
      bbox: this.geometry.bbox,
      viewsPerDevice: this.partitions.map((p) => p.length),
      settings: this.settings,
    };
  }

  initModel(): ModelParams {
    const model = VoxelGrid.create(this.geometry, this.options.shDegree).toModelParams();
    if (this.options.sharedSecondMoment) for (const [name, t] of initialMomentTensors(gridPointCount(this.geometry))) model.set(name, t);
    return model;
  }

  createDevice(index: number): DeviceTrainer {
    return new RadianceDevice({
      index,
      geometry: this.geometry,
      shDegree: this.options.shDegree,
      settings: this.settings,
      rays: buildRaySet(this.partitions[index], this.options.threads > 1),
      seed: this.options.seed,
      pool: this.pool,
    });
  }

  /**
   * A device's weight is the rays it trained (localSteps × batchSize at most); a point's row weight is the
   * steps that touched it (shared moment) or its visibility, at most the rays; devices do not evaluate.
   */
  limits(localSteps: number): TaskLimits {
    const rays = localSteps * this.options.deviceOptions.batchSize;
    return { maxDeviceWeight: rays, maxRowWeight: { base: localSteps, perWeight: 1 }, maxEvaluationCount: 0, metricRanges: {} };
  }

  /** What devices read with every request (RadianceDeviceOptions). */
  defaultOptions(): Record<string, number> {
    return { ...this.options.deviceOptions };
  }

  /** The grid a model's tensors describe (a view of them, no copy). */
  grid(model: ModelParams): VoxelGrid {
    return VoxelGrid.fromModelParams(model, this.geometry, this.options.shDegree);
  }

  /** A renderer for `model`, to render many cameras (an edge rendering for its devices, or a device itself). */
  renderer(model: ModelParams): GridRenderer {
    return new GridRenderer(this.grid(model), this.settings);
  }

  /** A render request answered as a PNG (remote rendering at an edge, or a device rendering locally). */
  renderView(model: ModelParams, request: ViewRequest): Promise<ViewImage> {
    return this.views.renderView(model, request);
  }

  async evaluate(model: ModelParams): Promise<Record<string, number>> {
    const metrics = evaluateWithSnapshots(this.renderer(model), this.dataset.test, this.options, this.snapshots);
    this.lastEvaluatedModel = cloneModel(model);
    return metrics;
  }

  /**
   * The frame renderer of `model` for viewing sessions (an edge streaming frames): a parallel renderer across
   * the machine's cores, kept while the model stays the same and closed when a newer one replaces it.
   */
  frameRenderer(model: ModelParams): ViewFrameRenderer {
    if (this.frames?.model !== model) {
      void this.frames?.parallel.close();
      const parallel = new ParallelGridRenderer(this.grid(model), this.settings);
      this.frames = { model, parallel, renderer: new RadianceFrameRenderer(parallel, this.dataset.near, this.dataset.far) };
    }
    return this.frames.renderer;
  }

  /**
   * The compact file of `model` a device downloads to render it itself (compact-model-file.ts), pruned at the
   * renderer's own threshold (so its renders are the full model's up to float16/int8 rounding); the newest
   * one is kept, an edge serving many devices encodes each model once.
   */
  compactModel(model: ModelParams): Promise<Uint8Array> {
    return this.compact.get(model, (newest) =>
      encodeCompactRadianceModel(
        { grid: this.grid(newest), settings: this.settings, meta: { task: this.id } },
        { keepAlpha: this.settings.occupancyAlpha },
      ),
    );
  }

  /** Stops the device trainer's and the frame renderer's worker threads, if any. */
  async close(): Promise<void> {
    await this.frames?.parallel.close();
    this.frames = undefined;
    await this.pool.close();
  }
}

/** The march settings of a task: the centralized trainer's, with the density unit of `points` over the scene box. */
export function radianceTaskSettings(dataset: SceneDataset, options: RadianceTaskOptions): MarchSettings {
  const densityUnit = options.densityUnitScale * meanVoxelSize(geometryForPointCount(dataset.bbox, options.points));
  return marchSettingsFor(dataset, options, densityUnit, options.weightThreshold);
}

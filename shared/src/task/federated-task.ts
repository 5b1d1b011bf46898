// What a learning task plugs into the runtime. The tiers know nothing about recommenders or scenes: they
// move ModelParams and ModelUpdates; a task says how to initialise, train on a device's private data, and
// evaluate. Adding a model means adding a task.

import type { KeepsServerState } from '../fl/keeps-server-state.js';
import type { ModelParams, ModelUpdate } from '../fl/model.js';
import type { TaskLimits } from './task-limits.js';

export interface LocalTrainOptions {
  /** Cloud round number (1-based). */
  readonly round: number;
  /** κ1: local steps before the edge aggregates. What a step is (an epoch, a minibatch) the task documents. */
  readonly localSteps: number;
  /** Options from the strategy and the run configuration (learningRate, proximalMu, ...). */
  readonly options: Readonly<Record<string, number>>;
}

/**
 * Metric sums from some devices' held-out data. They aggregate by addition up the hierarchy; the
 * coordinator divides each sum by `count` (e.g. the number of users evaluated).
 */
export interface EvaluationSums {
  readonly count: number;
  readonly sums: Record<string, number>;
}

/** One device's private data and private state (e.g. its user embedding). */
export interface DeviceTrainer {
  /** Number of local training samples (FedAvg weight). */
  readonly numSamples: number;
  /**
   * Trains from `model` (read-only: it may be shared) and returns the delta. The update's metrics are
   * weighted sums (mean over local samples times the update's weight, e.g. `loss`), so that tiers can add
   * them up and the coordinator divides by the summed weight.
   */
  train(model: ModelParams, options: LocalTrainOptions): Promise<ModelUpdate>;
  /** Evaluates `model` on this device's held-out data, when the task evaluates on devices. */
  evaluate?(model: ModelParams): Promise<EvaluationSums>;
  /**
   * A recommender's device: the `k` items `model` would recommend to this device's user, best first, the
   * user's training items left out (what the simulator measures a targeted promotion attack by).
   */
  topK?(model: ModelParams, k: number): Promise<Int32Array>;
}

/** Who sent an update a task checks: a device (checked at its edge) or an edge (checked at the cloud). */
export type UpdateSender = 'device' | 'edge';

/** A task that keeps state at the cloud between rounds (beforeApply's) saves it through KeepsServerState. */
export interface FederatedTask extends KeepsServerState {
  /** `family/model`, e.g. `recsys/bpr-mf`. */
  readonly id: string;
  /** Number of devices the data is partitioned into. */
  readonly numDevices: number;
  /** Everything that defines the task (resolved options, data set summary), for the run record. */
  describe(): Record<string, unknown>;
  /** The initial global model (deterministic for the task's seed). */
  initModel(): ModelParams;
  /** The device holding partition `index` (0 <= index < numDevices). */
  createDevice(index: number): DeviceTrainer;
  /** Held-out evaluation that needs no device (e.g. rendering held-out views); absent if devices evaluate. */
  evaluate?(model: ModelParams): Promise<Record<string, number>>;
  /** The options devices read with every training request (learning rates, ...), as the task was made with. */
  defaultOptions(): Record<string, number>;
  /** Releases what the task holds beyond memory (worker threads); the task is not used afterwards. */
  close?(): Promise<void>;
  /**
   * Bounds on what its devices can truthfully send when they train `localSteps` steps per round (weights, row
   * weights, evaluation counts and metric ranges): edges clip or refuse anything beyond them. A task without
   * limits gets structural checks only (finite, positive weights).
   */
  limits?(localSteps: number): TaskLimits;
  /**
   * The task's own checks of an update against the model it was trained from, after the structural ones
   * (e.g. rows outside the Gaussian task's scaffold): throws InvalidUpdateError with the reason. The
   * coordinator calls it on every edge's update (`from` 'edge'), and an edge built with the task on every
   * device's (`from` 'device').
   */
  checkUpdate?(update: ModelUpdate, model: ModelParams, from: UpdateSender): void;
  /**
   * Changes a round's combined update in place at the cloud, before the strategy applies it (the Gaussian
   * task's `combineChanges`: a row's mean change over the devices that changed it kept, made their sum, or
   * scaled by how straight their paths were, or the devices' gradients turned into the cloud's Adam step);
   * `model` is the global model the update will be applied to (read only). Synchronous rounds only.
   */
  beforeApply?(combined: ModelUpdate, round: number, model: ModelParams): void;
  /**
   * Changes the global model in place between rounds, once a round's update is applied and before the new
   * version is published (the Gaussian task's scaffold: clone, split, prune). Deterministic for the task's
   * seed and `round`, so the embedded run and the daemons publish the same model.
   */
  afterRound?(model: ModelParams, round: number): void;
}

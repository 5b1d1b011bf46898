// recsys/sasrec: federated SASRec. Each device is one user and trains on its own time-ordered history; the
// global model is the whole network (the item table, as SparseRows of the rows a device touched, and the
// positions and blocks as dense deltas). Split: leave-one-out by timestamp; devices evaluate themselves.

import type { FederatedTask, ModelParams, TaskLimits } from '@strata/shared';
import { ConfigError, SeededRandom } from '@strata/shared';
import type { Interactions } from '../data/interactions.js';
import { splitLeaveOneOut, type SequenceSplit } from '../data/split-leave-one-out.js';
import { recsysLimits } from '../evaluation/recsys-limits.js';
import { SasrecDevice, sasrecWorkspace, type SasrecWorkspace } from './sasrec-device.js';
import { resolveSasrecOptions, SASREC_ROUND_OPTIONS, type SasrecOptions } from './sasrec-options.js';
import { initSasrecWeights, sasrecModelParams, type SasrecShape } from './sasrec-params.js';

export class SasrecTask implements FederatedTask {
  readonly id = 'recsys/sasrec';
  readonly numDevices: number;
  readonly options: SasrecOptions;
  readonly shape: SasrecShape;
  private workspace: SasrecWorkspace | undefined;

  constructor(
    readonly data: Interactions,
    readonly split: SequenceSplit,
    options: Partial<SasrecOptions> | Readonly<Record<string, unknown>> = {},
  ) {
    this.options = resolveSasrecOptions(options);
    this.numDevices = split.numUsers;
    const { dim, maxLength, blocks } = this.options;
    this.shape = { numItems: split.numItems, dim, maxLength, blocks };
  }

  /** The task on `data`, split leave-one-out by timestamp; `options` are validated. */
  static fromInteractions(data: Interactions, options: Partial<SasrecOptions> | Readonly<Record<string, unknown>> = {}): SasrecTask {
    return new SasrecTask(data, splitLeaveOneOut(data), options);
  }

  describe(): Record<string, unknown> {
    const count = (lists: readonly Int32Array[]): number => lists.reduce((n, l) => n + l.length, 0);
    return {
      task: this.id,
      options: { ...this.options, ks: [...this.options.ks] },
      split: 'leave-one-out by timestamp',
      engine: 'kernel',
      data: {
        source: this.data.source,
        numUsers: this.split.numUsers,
        numItems: this.split.numItems,
        numInteractions: this.data.users.length,
        numTrain: count(this.split.train),
        numTest: count(this.split.test),
        ...(this.data.skippedRows ? { skippedRows: this.data.skippedRows } : {}),
      },
    };
  }

  /** The same initial weights as centralized training with the seed. */
  initModel(): ModelParams {
    return sasrecModelParams(this.shape, initSasrecWeights(this.shape, new SeededRandom(this.options.seed).fork('sasrec:model')));
  }

  createDevice(index: number): SasrecDevice {
    if (!Number.isInteger(index) || index < 0 || index >= this.numDevices) {
      throw new ConfigError(`sasrec device index ${index} is out of range [0, ${this.numDevices})`);
    }
    this.workspace ??= sasrecWorkspace(this.shape);
    const { sequences, train, test } = this.split;
    return new SasrecDevice(
      index,
      sequences[index],
      train[index],
      test[index],
      this.shape,
      this.options,
      this.workspace,
      this.data.userIds[index],
    );
  }

  /**
   * A device's weight is its positions (at most its training items); an item row's weight is the local steps
   * that touched it; a device evaluates one user.
   */
  limits(localSteps: number): TaskLimits {
    return { ...recsysLimits(this.split, localSteps, 1, 'count', this.options.ks), maxRowWeight: { base: localSteps, perWeight: 0 } };
  }

  /** Options sent with every training request, which devices read (SASREC_ROUND_OPTIONS). */
  defaultOptions(): Record<string, number> {
    return Object.fromEntries(SASREC_ROUND_OPTIONS.map((key) => [key, this.options[key]]));
  }
}

// recsys/lird: federated LIRD. Each device is one user: it simulates its own user from its own logged ratings
// and trains the shared actor and critic on its own episodes; the global model is the two networks (dense). The
// BPR-MF item embeddings both read are part of the environment every process builds the same way from the seed.

import type { FederatedTask, ModelParams, TaskLimits } from '@strata/shared';
import { ConfigError, dense, SeededRandom } from '@strata/shared';
import type { Interactions } from '../data/interactions.js';
import { LIRD_ACTOR, LIRD_CRITIC, LirdDevice } from './lird-device.js';
import { LirdEnvironment } from './lird-environment.js';
import { resolveLirdOptions, type LirdOptions } from './lird-options.js';
import { maxListReward } from './simulated-user.js';

export class LirdTask implements FederatedTask {
  readonly id = 'recsys/lird';
  readonly numDevices: number;
  readonly options: LirdOptions;

  constructor(
    readonly data: Interactions,
    readonly environment: LirdEnvironment,
  ) {
    this.options = environment.options;
    this.numDevices = environment.histories.numUsers;
  }

  /** The task on `data` (which needs ratings); `options` are validated; builds the environment. */
  static async fromInteractions(
    data: Interactions,
    options: Partial<LirdOptions> | Readonly<Record<string, unknown>> = {},
  ): Promise<LirdTask> {
    return new LirdTask(data, await LirdEnvironment.build(data, resolveLirdOptions(options)));
  }

  describe(): Record<string, unknown> {
    const { split } = this.environment.histories;
    const count = (lists: readonly Int32Array[]): number => lists.reduce((n, l) => n + l.length, 0);
    return {
      task: this.id,
      options: { ...this.options },
      split: `${this.options.heldOutFraction} of each user's ratings held out from the simulator`,
      engine: 'kernel',
      data: {
        source: this.data.source,
        numUsers: split.numUsers,
        numItems: split.numItems,
        numInteractions: this.data.users.length,
        numLogged: count(split.train),
        numHeldOut: count(split.test),
      },
    };
  }

  /** The same initial networks as centralized training with the seed. */
  initModel(): ModelParams {
    const weights = this.environment.networks.init(new SeededRandom(this.options.seed).fork('lird:model'));
    return new Map([
      [LIRD_ACTOR, dense([weights.actor.length], weights.actor)],
      [LIRD_CRITIC, dense([weights.critic.length], weights.critic)],
    ]);
  }

  createDevice(index: number): LirdDevice {
    if (!Number.isInteger(index) || index < 0 || index >= this.numDevices) {
      throw new ConfigError(`lird device index ${index} is out of range [0, ${this.numDevices})`);
    }
    return new LirdDevice(index, this.environment, this.data.userIds[index]);
  }

  /**
   * A device's weight is its round's transitions (an episode a local step); it sends dense tensors only; it
   * evaluates one user, whose episode's reward is at most T × Σ_k Γ^(k-1) in size.
   */
  limits(localSteps: number): TaskLimits {
    const { episodeLength } = this.options;
    const most = episodeLength * maxListReward(this.options);
    return {
      maxDeviceWeight: localSteps * episodeLength,
      maxRowWeight: { base: 0, perWeight: 0 },
      maxEvaluationCount: 1,
      metricRanges: { reward: [-most, most] },
    };
  }

  /** Devices read no per-round options: every setting is the task's. */
  defaultOptions(): Record<string, number> {
    return {};
  }
}

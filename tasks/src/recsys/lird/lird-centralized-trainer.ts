// Centralized LIRD: every epoch, each user (in a seeded order) plays one episode with the noisy actor into one
// replay buffer, followed by `updatesPerEpisode` actor-critic updates, each followed by a soft update of the
// target networks (DDPG).

import { SeededRandom } from '@strata/shared';
import { ActorCriticLearner, mixInto, type ActorCriticWeights } from './actor-critic.js';
import { ActorPolicy, playEpisode } from './list-policies.js';
import type { LirdEnvironment } from './lird-environment.js';
import { ReplayBuffer } from './replay-buffer.js';
import { maxListReward } from './simulated-user.js';

export interface LirdEpochProgress {
  readonly epoch: number;
  readonly epochs: number;
  /** Mean cumulative reward of the epoch's exploring episodes. */
  readonly trainingReward: number;
  /** Mean critic loss over the epoch's updates. */
  readonly criticLoss: number;
  readonly episodes: number;
  readonly steps: number;
  readonly seconds: number;
  /** The live weights after the epoch (read them, e.g. to evaluate; they keep training). */
  readonly weights: ActorCriticWeights;
}

export class LirdCentralizedTrainer {
  constructor(readonly environment: LirdEnvironment) {}

  /** Trains for `epochs` and returns the live weights; `onEpoch` sees every epoch's figures. */
  train(onEpoch?: (progress: LirdEpochProgress) => void): ActorCriticWeights {
    const env = this.environment;
    const o = env.options;
    const random = new SeededRandom(o.seed).fork('lird-centralized');
    const start = env.networks.init(new SeededRandom(o.seed).fork('lird:model'));
    const learner = new ActorCriticLearner(env.networks, start, o, o.batchSize, maxListReward(o));
    const target: ActorCriticWeights = { actor: start.actor.slice(), critic: start.critic.slice() };
    const { stateWidth, actionWidth } = env.networks.shape;
    const replay = new ReplayBuffer(o.replayCapacity, stateWidth, actionWidth);
    const explorer = new ActorPolicy(env.networks, learner.weights.actor, env.space, {
      std: o.explorationNoise,
      random: random.fork('noise'),
    });
    const sampling = random.fork('replay');
    for (let epoch = 1; epoch <= o.epochs; epoch++) {
      const began = performance.now();
      let reward = 0;
      let loss = 0;
      let updates = 0;
      const order = random.fork(`order:${epoch}`).shuffle(Int32Array.from(env.playable));
      for (const u of order) {
        reward += playEpisode(env.users[u], explorer, o, replay);
        if (replay.size < o.batchSize) continue;
        for (let k = 0; k < o.updatesPerEpisode; k++) {
          loss += learner.update(replay, target, sampling);
          mixInto(target, learner.weights, o.targetMixing);
          updates++;
        }
      }
      onEpoch?.({
        epoch,
        epochs: o.epochs,
        trainingReward: reward / Math.max(1, order.length),
        criticLoss: loss / Math.max(1, updates),
        episodes: order.length,
        steps: order.length * o.episodeLength,
        seconds: (performance.now() - began) / 1000,
        weights: learner.weights,
      });
    }
    return learner.weights;
  }
}

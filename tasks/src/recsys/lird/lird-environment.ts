// Everything LIRD's agents and baselines act in, built from rating logs: the held-out split, the BPR-MF item
// embeddings (trained on the logged ratings as implicit feedback, in the calling thread so that every process
// that builds the environment gets the same one), one memory simulator and one simulated user per user, and the
// greedy baselines (BPR-MF, popularity) on the same logs.

import { CentralizedBprTrainer } from '../bpr-mf/centralized-bpr-trainer.js';
import type { BprMfModel } from '../bpr-mf/bpr-mf-model.js';
import type { Interactions } from '../data/interactions.js';
import { Popularity } from '../popularity.js';
import { ActorCriticNetworks, type ActorCriticWeights } from './actor-critic.js';
import { ItemSpace, pushRecent } from './item-space.js';
import { ActorPolicy, playEpisode, ScoredPolicy, type ListPolicy } from './list-policies.js';
import type { LirdOptions } from './lird-options.js';
import { MemorySimulator } from './memory-simulator.js';
import { splitRatingHistories, type RatingHistories } from './rating-histories.js';
import { SimulatedUser, type RatingScale } from './simulated-user.js';
import { simulatorFidelity, type SimulatorFidelity } from './simulator-fidelity.js';

export class LirdEnvironment {
  readonly networks: ActorCriticNetworks;
  /** Users with at least one logged rating (the others have no simulator and play no episodes). */
  readonly playable: readonly number[];

  private constructor(
    readonly options: LirdOptions,
    readonly histories: RatingHistories,
    readonly embeddings: BprMfModel,
    readonly space: ItemSpace,
    readonly simulators: readonly MemorySimulator[],
    readonly users: readonly SimulatedUser[],
    readonly scale: RatingScale,
  ) {
    this.networks = new ActorCriticNetworks({
      stateWidth: options.stateItems * space.dim,
      actionWidth: options.listSize * space.dim,
      hidden: options.hidden,
      listSize: options.listSize,
    });
    this.playable = users.map((_, u) => u).filter((u) => simulators[u].size > 0);
  }

  /** Splits the ratings, trains the BPR-MF embeddings (the slow part) and builds the simulators. */
  static async build(data: Interactions, options: LirdOptions): Promise<LirdEnvironment> {
    const histories = splitRatingHistories(data, options.heldOutFraction, options.seed);
    const embeddings = await new CentralizedBprTrainer(histories.split, {
      dim: options.embeddingDim,
      epochs: options.embeddingEpochs,
      seed: options.seed,
      threads: 1,
    }).train();
    const space = new ItemSpace(data.numItems, options.embeddingDim, embeddings.items);
    const parameters = {
      stateItems: options.stateItems,
      positiveRating: options.positiveRating,
      alpha: options.simulatorAlpha,
      temperature: options.simulatorTemperature,
    };
    const simulators = histories.users.map((history) => new MemorySimulator(space, history, parameters));
    const scale = ratingScale(histories);
    const users = simulators.map((simulator, u) => {
      const start = new Int32Array(options.stateItems).fill(-1);
      simulator.items.forEach((item, j) => {
        if (simulator.ratings[j] >= options.positiveRating) pushRecent(start, item);
      });
      return new SimulatedUser(u, space, simulator, start, scale, options);
    });
    return new LirdEnvironment(options, histories, embeddings, space, simulators, users, scale);
  }

  /** How well the simulators predict the held-out ratings. */
  fidelity(): SimulatorFidelity {
    return simulatorFidelity(this.histories, this.simulators, this.space, this.options.stateItems, this.options.positiveRating);
  }

  /** The mean cumulative list-wise reward of one episode per playable user. */
  meanReward(policy: ListPolicy): number {
    let total = 0;
    for (const u of this.playable) total += playEpisode(this.users[u], policy, this.options);
    return total / Math.max(1, this.playable.length);
  }

  /** LIRD's actor acting without noise. */
  actorPolicy(weights: ActorCriticWeights): ListPolicy {
    return new ActorPolicy(this.networks, weights.actor, this.space, null);
  }

  /** The K best unseen items by BPR-MF's score for the user, each step. */
  bprGreedyPolicy(): ListPolicy {
    return new ScoredPolicy(this.space.numItems, this.embeddings.scoreUser);
  }

  /** The K most popular unseen items (by logged users), each step. */
  popularityPolicy(): ListPolicy {
    return new ScoredPolicy(this.space.numItems, new Popularity(this.histories.split).scoreUser);
  }

  /** The baselines' mean cumulative rewards. */
  baselineRewards(): Record<string, number> {
    return { 'BPR-MF greedy': this.meanReward(this.bprGreedyPolicy()), popularity: this.meanReward(this.popularityPolicy()) };
  }
}

/** The lowest and highest logged rating (a scale of one value is widened to one step, so rewards stay finite). */
function ratingScale(histories: RatingHistories): RatingScale {
  let low = Number.POSITIVE_INFINITY;
  let high = Number.NEGATIVE_INFINITY;
  for (const { ratings } of histories.users) {
    for (const r of ratings) {
      low = Math.min(low, r);
      high = Math.max(high, r);
    }
  }
  return high > low ? { low, high } : { low, high: low + 1 };
}

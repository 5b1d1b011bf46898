// Policies that recommend a list of K items to a simulated user each step: LIRD's actor (its K weight vectors
// score every item; position k takes the best item not yet taken, as in the paper), and the greedy baselines that
// take the K best unblocked items by a fixed score (BPR-MF's, popularity's). An episode is played the same way for
// all of them.

import type { SeededRandom } from '@strata/shared';
import type { ActorCriticNetworks } from './actor-critic.js';
import type { ItemSpace } from './item-space.js';
import type { ReplayBuffer } from './replay-buffer.js';
import { topUnblocked, type EpisodeShape, type SimulatedUser } from './simulated-user.js';

export interface ListPolicy {
  /**
   * Writes K items for the user's current state into `out`; a learning policy returns the action its critic learns
   * from (the chosen items' embeddings), the others null.
   */
  recommend(user: SimulatedUser, out: Int32Array): Float32Array | null;
}

/**
 * LIRD's actor, with Gaussian noise on its weight vectors while it explores (actor-critic.ts: the weight vectors are
 * offsets around the state's centroid). Returns the chosen items' embeddings, the action the critic learns from.
 */
export class ActorPolicy implements ListPolicy {
  private readonly pass;
  private readonly weights: Float32Array;
  private readonly chosen: Float32Array;
  private readonly lengths: Float32Array;

  constructor(
    private readonly networks: ActorCriticNetworks,
    private readonly actor: Float32Array,
    private readonly space: ItemSpace,
    private readonly noise: { readonly std: number; readonly random: SeededRandom } | null,
  ) {
    this.pass = networks.actor.pass();
    this.weights = new Float32Array(networks.shape.actionWidth);
    this.chosen = new Float32Array(networks.shape.actionWidth);
    this.lengths = new Float32Array(networks.shape.listSize);
  }

  recommend(user: SimulatedUser, out: Int32Array): Float32Array {
    const weights = this.networks.weightVectors(this.actor, user.state.vector, this.pass, this.weights, this.lengths);
    if (this.noise) for (let k = 0; k < weights.length; k++) weights[k] += this.noise.std * this.noise.random.normal();
    const { numItems, dim } = this.space;
    const blocked = user.blocked;
    for (let position = 0; position < out.length; position++) {
      let best = -1;
      let bestScore = Number.NEGATIVE_INFINITY;
      for (let i = 0; i < numItems; i++) {
        if (blocked[i]) continue;
        const s = this.space.dot(weights, position * dim, i);
        if (s > bestScore) {
          bestScore = s;
          best = i;
        }
      }
      out[position] = best;
      // Taken for this list; the step blocks it for the rest of the episode.
      if (best >= 0) blocked[best] = 1;
      if (best >= 0) this.chosen.set(this.space.unit.subarray(best * dim, (best + 1) * dim), position * dim);
      else this.chosen.fill(0, position * dim, (position + 1) * dim);
    }
    return this.chosen.slice();
  }
}

/** The K best unblocked items by a score that depends only on the user (greedy lists). */
export class ScoredPolicy implements ListPolicy {
  private readonly scores: Float32Array;

  constructor(
    numItems: number,
    private readonly score: (user: number, out: Float32Array) => void,
  ) {
    this.scores = new Float32Array(numItems);
  }

  recommend(user: SimulatedUser, out: Int32Array): null {
    this.score(user.user, this.scores);
    topUnblocked(this.scores, user.blocked, out);
    return null;
  }
}

/**
 * One episode of T steps from the user's start; returns the cumulative list-wise reward (undiscounted over steps).
 * With `replay`, each step's (s, a, r, s', done) is stored.
 */
export function playEpisode(user: SimulatedUser, policy: ListPolicy, shape: EpisodeShape, replay?: ReplayBuffer): number {
  user.reset();
  const list = new Int32Array(shape.listSize);
  const before = new Float32Array(user.state.vector.length);
  let total = 0;
  for (let t = 0; t < shape.episodeLength; t++) {
    before.set(user.state.vector);
    const action = policy.recommend(user, list);
    const reward = user.step(list);
    total += reward;
    if (replay && action) replay.push(before, action, reward, user.state.vector, t === shape.episodeLength - 1);
  }
  return total;
}

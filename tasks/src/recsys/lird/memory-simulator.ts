// The memory-based user simulator of LIRD (Zhao et al. 2017, section 2.3), in a per-user variant: a user's
// memory is their own logged (state, item, rating) triples, where the state is the N positively-rated items
// before the rating. For a state s and an item a, each memory j votes for its rating with weight
// exp(sim_j / τ), sim_j = α cos(s, s_j) + (1 - α) cos(a, a_j); the paper's P(r | s, a) is the votes' share per
// rating. The simulated feedback is the expected rating under that distribution (deterministic, so an episode
// is a function of the policy). The paper's memory holds every user's triples; one user's memory keeps a
// prediction to about 100 dot products instead of 80,000, and it is that user's own data, which a federated
// device holds.

import type { ItemSpace } from './item-space.js';
import { norm, pushRecent } from './item-space.js';
import type { RatingHistory } from './rating-histories.js';

export interface SimulatorParameters {
  /** N: the recent positive items a state holds. */
  readonly stateItems: number;
  /** A rating at least this is positive (it enters the state). */
  readonly positiveRating: number;
  /** α: the state's share of a memory's similarity. */
  readonly alpha: number;
  /** τ: the temperature of the votes. */
  readonly temperature: number;
}

/** A state as the simulator and the actor read it: the concatenated unit embeddings and their length. */
export interface StateView {
  readonly vector: Float32Array;
  readonly norm: number;
}

export class MemorySimulator {
  /** Memories' states [memories, N × dim], their lengths, items and ratings. */
  private readonly states: Float32Array;
  private readonly stateNorms: Float32Array;
  readonly items: Int32Array;
  readonly ratings: Float32Array;

  constructor(
    private readonly space: ItemSpace,
    history: RatingHistory,
    private readonly parameters: SimulatorParameters,
  ) {
    const logged = history.items.filter((_, k) => history.heldOut[k] === 0);
    this.items = logged;
    this.ratings = history.ratings.filter((_, k) => history.heldOut[k] === 0);
    const width = parameters.stateItems * space.dim;
    this.states = new Float32Array(logged.length * width);
    this.stateNorms = new Float32Array(logged.length);
    const recent = new Int32Array(parameters.stateItems).fill(-1);
    for (let j = 0; j < logged.length; j++) {
      const view = this.states.subarray(j * width, (j + 1) * width);
      space.stateVector(recent, view);
      this.stateNorms[j] = norm(view);
      if (this.ratings[j] >= parameters.positiveRating) pushRecent(recent, logged[j]);
    }
  }

  /** The number of logged triples. */
  get size(): number {
    return this.items.length;
  }

  /** The simulated rating of `item` in `state`: the expected rating under the memories' votes. */
  rate(state: StateView, item: number): number {
    const { alpha, temperature } = this.parameters;
    const width = state.vector.length;
    let total = 0;
    let weighted = 0;
    for (let j = 0; j < this.items.length; j++) {
      let stateCos = 0;
      if (state.norm > 0 && this.stateNorms[j] > 0) {
        let s = 0;
        for (let c = 0, o = j * width; c < width; c++, o++) s += state.vector[c] * this.states[o];
        stateCos = s / (state.norm * this.stateNorms[j]);
      }
      const itemCos = this.space.dot(this.space.unit, this.items[j] * this.space.dim, item);
      // Shifted by the largest similarity (1) so that exp cannot overflow for a small τ.
      const vote = Math.exp((alpha * stateCos + (1 - alpha) * itemCos - 1) / temperature);
      total += vote;
      weighted += vote * this.ratings[j];
    }
    return total > 0 ? weighted / total : Number.NaN;
  }

  /** Whether a (simulated) rating is positive. */
  isPositive(rating: number): boolean {
    return rating >= this.parameters.positiveRating - 0.5;
  }
}

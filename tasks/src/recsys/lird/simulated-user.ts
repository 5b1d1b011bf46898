// One user in LIRD's MDP, played by the memory simulator: the state is the N latest positive items (at the start,
// the user's N latest positively-rated logged items); each step a policy recommends K items, the simulator rates
// each, and the step's list-wise reward is Σ_k Γ^(k-1) r_k with r_k the rating mapped to [-1, 1]. Positive items
// enter the state after the step (the paper's state update); nothing the user logged or was already recommended in
// the episode is recommended again.

import { norm, pushRecent, type ItemSpace } from './item-space.js';
import type { MemorySimulator, StateView } from './memory-simulator.js';

export interface EpisodeShape {
  /** K. */
  readonly listSize: number;
  /** T. */
  readonly episodeLength: number;
  /** Γ. */
  readonly positionDiscount: number;
}

/** The rating scale, for mapping a rating to a reward in [-1, 1]. */
export interface RatingScale {
  readonly low: number;
  readonly high: number;
}

export class SimulatedUser {
  /** The episode's state: recent positive items (-1: empty slot), its vector and that vector's length. */
  readonly recent: Int32Array;
  readonly state: { vector: Float32Array; norm: number };
  /** Items that cannot be recommended now: logged, or recommended earlier in the episode. */
  readonly blocked: Uint8Array;
  private readonly pending: number[] = [];

  constructor(
    readonly user: number,
    private readonly space: ItemSpace,
    readonly simulator: MemorySimulator,
    /** The state an episode starts from (item ids, -1 for an empty slot). */
    private readonly initial: Int32Array,
    private readonly scale: RatingScale,
    private readonly shape: EpisodeShape,
  ) {
    this.recent = initial.slice();
    this.state = { vector: new Float32Array(initial.length * space.dim), norm: 0 };
    this.blocked = new Uint8Array(space.numItems);
    this.reset();
  }

  /** Back to the start of an episode. */
  reset(): StateView {
    this.recent.set(this.initial);
    this.blocked.fill(0);
    for (const item of this.simulator.items) this.blocked[item] = 1;
    this.refreshState();
    return this.state;
  }

  /** Rates `list` (K items, best first), blocks them, updates the state; returns the list-wise reward. */
  step(list: Int32Array): number {
    const { low, high } = this.scale;
    let reward = 0;
    let weight = 1;
    this.pending.length = 0;
    for (const item of list) {
      if (item < 0) continue;
      const rating = this.simulator.rate(this.state, item);
      reward += weight * ((2 * (rating - low)) / (high - low) - 1);
      weight *= this.shape.positionDiscount;
      this.blocked[item] = 1;
      if (this.simulator.isPositive(rating)) this.pending.push(item);
    }
    if (this.pending.length > 0) {
      for (const item of this.pending) pushRecent(this.recent, item);
      this.refreshState();
    }
    return reward;
  }

  private refreshState(): void {
    this.space.stateVector(this.recent, this.state.vector);
    this.state.norm = norm(this.state.vector);
  }
}

/** The `k` highest-scoring items not blocked, best first, into `out` (length k). */
export function topUnblocked(scores: Float32Array, blocked: Uint8Array, out: Int32Array): void {
  const k = out.length;
  const best = new Float64Array(k).fill(Number.NEGATIVE_INFINITY);
  out.fill(-1);
  for (let i = 0; i < scores.length; i++) {
    if (blocked[i]) continue;
    const s = scores[i];
    if (s <= best[k - 1]) continue;
    let p = k - 1;
    while (p > 0 && best[p - 1] < s) {
      best[p] = best[p - 1];
      out[p] = out[p - 1];
      p--;
    }
    best[p] = s;
    out[p] = i;
  }
}

/** The largest |list-wise reward| of one step: Σ_k Γ^(k-1), every item's reward being within ±1. */
export function maxListReward(shape: EpisodeShape): number {
  let most = 0;
  for (let k = 0; k < shape.listSize; k++) most += shape.positionDiscount ** k;
  return most;
}

// DDPG's replay buffer: the latest `capacity` transitions (s, a, r, s', done) in flat arrays, sampled uniformly.

import type { SeededRandom } from '@strata/shared';

export class ReplayBuffer {
  readonly states: Float32Array;
  readonly actions: Float32Array;
  readonly rewards: Float32Array;
  readonly nextStates: Float32Array;
  readonly done: Uint8Array;
  private next = 0;
  private filled = 0;

  constructor(
    readonly capacity: number,
    readonly stateWidth: number,
    readonly actionWidth: number,
  ) {
    this.states = new Float32Array(capacity * stateWidth);
    this.actions = new Float32Array(capacity * actionWidth);
    this.rewards = new Float32Array(capacity);
    this.nextStates = new Float32Array(capacity * stateWidth);
    this.done = new Uint8Array(capacity);
  }

  get size(): number {
    return this.filled;
  }

  push(state: Float32Array, action: Float32Array, reward: number, nextState: Float32Array, done: boolean): void {
    const k = this.next;
    this.states.set(state, k * this.stateWidth);
    this.actions.set(action, k * this.actionWidth);
    this.rewards[k] = reward;
    this.nextStates.set(nextState, k * this.stateWidth);
    this.done[k] = done ? 1 : 0;
    this.next = (k + 1) % this.capacity;
    this.filled = Math.min(this.capacity, this.filled + 1);
  }

  /** `count` indices drawn uniformly with replacement. */
  sample(count: number, random: SeededRandom, out: Int32Array): Int32Array {
    for (let b = 0; b < count; b++) out[b] = random.int(this.filled);
    return out;
  }
}

// LIRD's actor-critic (Zhao et al. 2017, section 3; DDPG, Lillicrap et al. 2016). The actor maps a state (N item
// embeddings) to K weight vectors, one per list position: the state's centroid plus a tanh offset, so that the
// untrained actor recommends what is most like the user's recent positive items (the paper's actor outputs the
// weight vectors directly: on ml-100k that collapsed from 13.4 to 2.9 in its first epoch). The critic Q(s, a)
// learns from the embeddings of the items actually recommended (Wolpertinger's critic, Dulac-Arnold et al. 2015;
// the simulator's reward is smooth in them, not in the weight vectors, whose argmax lists are piecewise constant)
// and is asked at the weight vectors, which live in the same space. One update: the critic regresses on
// r + γ Q'(s', μ'(s')) with the target networks, then the actor climbs dQ/da through dμ/dθ, each with Adam.

import type { SeededRandom } from '@strata/shared';
import { AdamState, TFJS_ADAM } from '../neumf/adam-state.js';
import { DenseNetwork, type NetworkPass } from './dense-network.js';
import type { ReplayBuffer } from './replay-buffer.js';

/** The two networks' flat parameters. */
export interface ActorCriticWeights {
  readonly actor: Float32Array;
  readonly critic: Float32Array;
}

export interface ActorCriticShape {
  /** N × dim. */
  readonly stateWidth: number;
  /** K × dim. */
  readonly actionWidth: number;
  readonly hidden: number;
  /** K. */
  readonly listSize: number;
}

export interface ActorCriticRates {
  readonly actorLearningRate: number;
  readonly criticLearningRate: number;
  /** γ. */
  readonly discount: number;
}

/** The actor and critic networks of a shape (no weights: those are ActorCriticWeights). */
export class ActorCriticNetworks {
  readonly actor: DenseNetwork;
  readonly critic: DenseNetwork;
  readonly dim: number;

  constructor(readonly shape: ActorCriticShape) {
    const { stateWidth, actionWidth, hidden } = shape;
    this.actor = new DenseNetwork([stateWidth, hidden, actionWidth], 'tanh');
    this.critic = new DenseNetwork([stateWidth + actionWidth, hidden, hidden, 1], 'linear');
    this.dim = actionWidth / shape.listSize;
  }

  /**
   * The K weight vectors for `state` into `out` [K × dim]: the state's centroid plus the actor's offsets, each scaled
   * to unit length like the item embeddings the critic learns from (a list is the argmax of w · item, which the
   * scale does not change). Their lengths before scaling go to `lengths` [K].
   */
  weightVectors(actor: Float32Array, state: Float32Array, pass: NetworkPass, out: Float32Array, lengths: Float32Array): Float32Array {
    pass.input.set(state);
    const offsets = this.actor.forward(actor, pass);
    const d = this.dim;
    out.fill(0, 0, d);
    let count = 0;
    for (let o = 0; o < state.length; o += d) {
      let empty = true;
      for (let c = 0; c < d; c++) if (state[o + c] !== 0) empty = false;
      if (empty) continue;
      count++;
      for (let c = 0; c < d; c++) out[c] += state[o + c];
    }
    if (count > 1) for (let c = 0; c < d; c++) out[c] /= count;
    for (let k = out.length - 1; k >= 0; k--) out[k] = out[k % d] + offsets[k];
    for (let position = 0; position < lengths.length; position++) {
      const w = out.subarray(position * d, (position + 1) * d);
      let squared = 0;
      for (let c = 0; c < d; c++) squared += w[c] * w[c];
      const length = Math.max(1e-6, Math.sqrt(squared));
      lengths[position] = length;
      for (let c = 0; c < d; c++) w[c] /= length;
    }
    return out;
  }

  /** The gradient at the offsets from the gradient `dUnit` at the unit weight vectors `unit` (in place). */
  offsetGradient(unit: Float32Array, lengths: Float32Array, dUnit: Float32Array): Float32Array {
    const d = this.dim;
    for (let position = 0; position < lengths.length; position++) {
      const o = position * d;
      let along = 0;
      for (let c = 0; c < d; c++) along += unit[o + c] * dUnit[o + c];
      for (let c = 0; c < d; c++) dUnit[o + c] = (dUnit[o + c] - along * unit[o + c]) / lengths[position];
    }
    return dUnit;
  }

  init(random: SeededRandom): ActorCriticWeights {
    return { actor: this.actor.init(random.fork('actor')), critic: this.critic.init(random.fork('critic')) };
  }
}

/** Live weights being trained, their Adam states and the scratch of one update. */
export class ActorCriticLearner {
  readonly weights: ActorCriticWeights;
  private readonly actorAdam: AdamState;
  private readonly criticAdam: AdamState;
  private readonly actorGrads: Float32Array;
  private readonly criticGrads: Float32Array;
  private readonly actorPass: NetworkPass;
  private readonly criticPass: NetworkPass;
  private readonly dOutput = new Float32Array(1);
  private readonly dAction: Float32Array;
  private readonly action: Float32Array;
  private readonly lengths: Float32Array;
  /** The largest |Q| possible: every step's list-wise reward is within ±maxReward. */
  private readonly maxValue: number;
  private readonly targets: Float32Array;
  private readonly indices: Int32Array;
  private steps = 0;

  constructor(
    readonly networks: ActorCriticNetworks,
    start: ActorCriticWeights,
    private readonly rates: ActorCriticRates,
    batchSize: number,
    /** The largest |list-wise reward| of a step. */
    maxReward: number,
  ) {
    this.weights = { actor: start.actor.slice(), critic: start.critic.slice() };
    this.actorAdam = new AdamState(networks.actor.size);
    this.criticAdam = new AdamState(networks.critic.size);
    this.actorGrads = new Float32Array(networks.actor.size);
    this.criticGrads = new Float32Array(networks.critic.size);
    this.actorPass = networks.actor.pass();
    this.criticPass = networks.critic.pass();
    this.dAction = new Float32Array(networks.shape.actionWidth);
    this.action = new Float32Array(networks.shape.actionWidth);
    this.lengths = new Float32Array(networks.shape.listSize);
    this.maxValue = maxReward / (1 - rates.discount);
    this.targets = new Float32Array(batchSize);
    this.indices = new Int32Array(batchSize);
  }

  /** One critic and one actor step on a batch drawn from `replay`, bootstrapped from `target`; the critic's loss. */
  update(replay: ReplayBuffer, target: ActorCriticWeights, random: SeededRandom): number {
    const { actor, critic } = this.networks;
    const { stateWidth: S, actionWidth: A } = this.networks.shape;
    const batch = replay.sample(this.indices.length, random, this.indices);
    const B = batch.length;
    const criticIn = this.criticPass.input;
    for (let b = 0; b < B; b++) {
      const k = batch[b];
      if (replay.done[k]) {
        this.targets[b] = replay.rewards[k];
        continue;
      }
      const nextState = replay.nextStates.subarray(k * S, (k + 1) * S);
      criticIn.set(nextState);
      criticIn.set(this.networks.weightVectors(target.actor, nextState, this.actorPass, this.action, this.lengths), S);
      const bootstrapped = replay.rewards[k] + this.rates.discount * critic.forward(target.critic, this.criticPass)[0];
      // Asked at a weight vector, the critic extrapolates from the items it learnt on: bootstrapping that without a
      // bound diverged (a loss of 2.5e8 in one epoch on ml-100k); no return can leave ±maxValue.
      this.targets[b] = Math.max(-this.maxValue, Math.min(this.maxValue, bootstrapped));
    }
    let loss = 0;
    for (let b = 0; b < B; b++) {
      const k = batch[b];
      criticIn.set(replay.states.subarray(k * S, (k + 1) * S));
      criticIn.set(replay.actions.subarray(k * A, (k + 1) * A), S);
      const error = critic.forward(this.weights.critic, this.criticPass)[0] - this.targets[b];
      loss += error * error;
      this.dOutput[0] = (2 * error) / B;
      critic.backward(this.weights.critic, this.criticPass, this.dOutput, this.criticGrads);
    }
    this.steps++;
    this.criticAdam.update(this.weights.critic, this.criticGrads, 0, critic.size, this.steps, {
      ...TFJS_ADAM,
      learningRate: this.rates.criticLearningRate,
    });
    // The actor ascends Q(s, μ(s)): the loss is -Q / B, its gradient dQ/da flows into the actor.
    this.dOutput[0] = -1 / B;
    for (let b = 0; b < B; b++) {
      const k = batch[b];
      const state = replay.states.subarray(k * S, (k + 1) * S);
      criticIn.set(state);
      criticIn.set(this.networks.weightVectors(this.weights.actor, state, this.actorPass, this.action, this.lengths), S);
      critic.forward(this.weights.critic, this.criticPass);
      const dInput = critic.backward(this.weights.critic, this.criticPass, this.dOutput, null);
      this.dAction.set(dInput.subarray(S, S + A));
      this.networks.offsetGradient(this.action, this.lengths, this.dAction);
      actor.backward(this.weights.actor, this.actorPass, this.dAction, this.actorGrads);
    }
    this.actorAdam.update(this.weights.actor, this.actorGrads, 0, actor.size, this.steps, {
      ...TFJS_ADAM,
      learningRate: this.rates.actorLearningRate,
    });
    return loss / B;
  }
}

/** target ← mixing × live + (1 - mixing) × target, for both networks (DDPG's soft update). */
export function mixInto(target: ActorCriticWeights, live: ActorCriticWeights, mixing: number): void {
  for (const key of ['actor', 'critic'] as const) {
    const t = target[key];
    const l = live[key];
    for (let k = 0; k < t.length; k++) t[k] += mixing * (l[k] - t[k]);
  }
}

// One user's device in federated LIRD: its simulator is built from its own logged ratings, which never leave it,
// and its episodes are its own user's. Each round it plays `localSteps` exploring episodes into its own replay
// buffer (kept across rounds: the device's private state) and runs the actor-critic updates on it, with the round's
// global model as the target networks, and returns the change of both networks. It evaluates itself: one episode
// of the global actor without noise.

import type { DeviceTrainer, EvaluationSums, LocalTrainOptions, ModelParams, ModelUpdate } from '@strata/shared';
import { ConfigError, dense, SeededRandom } from '@strata/shared';
import { ActorCriticLearner, type ActorCriticWeights } from './actor-critic.js';
import { ActorPolicy, playEpisode } from './list-policies.js';
import type { LirdEnvironment } from './lird-environment.js';
import { ReplayBuffer } from './replay-buffer.js';
import { maxListReward } from './simulated-user.js';

export const LIRD_ACTOR = 'actor';
export const LIRD_CRITIC = 'critic';

/** A device's replay buffer holds this many of its latest episodes (943 devices share one process's memory). */
const DEVICE_REPLAY_EPISODES = 8;

export class LirdDevice implements DeviceTrainer {
  /** Transitions per local step (one episode). */
  readonly numSamples: number;
  private replay: ReplayBuffer | undefined;
  private readonly random: SeededRandom;

  constructor(
    readonly user: number,
    private readonly environment: LirdEnvironment,
    /** Stable id for seeding (the user's original id). */
    seedLabel: string,
  ) {
    this.numSamples = environment.simulators[user].size > 0 ? environment.options.episodeLength : 0;
    this.random = new SeededRandom(environment.options.seed).fork(`lird:device:${seedLabel}`);
  }

  /**
   * `localSteps` episodes, each followed by `updatesPerEpisode` actor-critic updates from the device's replay buffer.
   * `model` is only read. weight = the round's transitions; metrics.reward = their summed list-wise rewards (the
   * coordinator's mean is the reward per step).
   */
  async train(model: ModelParams, options: LocalTrainOptions): Promise<ModelUpdate> {
    const steps = options.localSteps;
    if (!Number.isInteger(steps) || steps < 1) throw new ConfigError(`localSteps must be an integer >= 1, got ${steps}`);
    const global = this.readModel(model);
    if (this.numSamples === 0) return { delta: new Map(), weight: 0, metrics: { reward: 0 } };
    const env = this.environment;
    const o = env.options;
    const { stateWidth, actionWidth } = env.networks.shape;
    this.replay ??= new ReplayBuffer(DEVICE_REPLAY_EPISODES * o.episodeLength, stateWidth, actionWidth);
    const learner = new ActorCriticLearner(env.networks, global, o, o.batchSize, maxListReward(o));
    const round = this.random.fork(options.round);
    const explorer = new ActorPolicy(env.networks, learner.weights.actor, env.space, {
      std: o.explorationNoise,
      random: round.fork('noise'),
    });
    const sampling = round.fork('replay');
    let reward = 0;
    for (let s = 0; s < steps; s++) {
      reward += playEpisode(env.users[this.user], explorer, o, this.replay);
      for (let k = 0; k < o.updatesPerEpisode; k++) learner.update(this.replay, global, sampling);
    }
    const change = (after: Float32Array, before: Float32Array): Float32Array => Float32Array.from(after, (v, k) => v - before[k]);
    return {
      delta: new Map([
        [LIRD_ACTOR, dense([global.actor.length], change(learner.weights.actor, global.actor))],
        [LIRD_CRITIC, dense([global.critic.length], change(learner.weights.critic, global.critic))],
      ]),
      weight: steps * o.episodeLength,
      metrics: { reward },
    };
  }

  /** The cumulative list-wise reward of one episode of the global actor, without noise. */
  async evaluate(model: ModelParams): Promise<EvaluationSums> {
    if (this.numSamples === 0) return { count: 0, sums: {} };
    const reward = playEpisode(
      this.environment.users[this.user],
      this.environment.actorPolicy(this.readModel(model)),
      this.environment.options,
    );
    return { count: 1, sums: { reward } };
  }

  private readModel(model: ModelParams): ActorCriticWeights {
    const { actor, critic } = this.environment.networks;
    const expect = (name: string, size: number): Float32Array => {
      const t = model.get(name);
      if (t?.shape.length !== 1 || t.shape[0] !== size) {
        throw new ConfigError(`lird model needs ${name} of shape [${size}], got ${t ? `[${t.shape.join(', ')}]` : 'none'}`);
      }
      return t.values;
    };
    return { actor: expect(LIRD_ACTOR, actor.size), critic: expect(LIRD_CRITIC, critic.size) };
  }
}

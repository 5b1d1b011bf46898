// Options of LIRD (recsys/lird; Zhao et al. 2017, "Deep Reinforcement Learning for List-wise Recommendations"):
// the episode (K items a step, T steps, the position discount of the list-wise reward), the memory-based user
// simulator, the BPR-MF item embeddings the actor scores with, and the actor-critic (DDPG) training, centralized
// and on devices. Defaults measured on ml-100k (seed 0, mean cumulative reward of the noise-free actor after one
// epoch; untrained 13.44, BPR-MF greedy 12.05, popularity 13.08): γ 0.5, critic Adam 0.003, actor 1e-4, noise 0.1,
// hidden 32, two updates an episode 15.48; the same with γ 0.9, critic 0.001, actor 5e-4, noise 0.2 and hidden 64
// (DDPG's usual settings) diverged before the critic's targets were bounded; actor 5e-5, noise 0.05 12.04 before
// the critic learnt from the recommended items' embeddings. More epochs hurt: 15.66, 13.50, 13.74 after epochs
// 1-3 with actor 3e-5 (15.48, 13.51 with 1e-4): the actor comes to exploit the critic's errors, so one epoch.

import { z } from 'zod';
import { ConfigError, parseOptions } from '@strata/shared';

/** What `--task-option` can set for recsys/lird (the seed is the run's `--seed`). */
export const lirdOptionsSchema = z.strictObject({
  listSize: z.number().int().min(1).max(50).default(4).describe('K: items recommended per step'),
  episodeLength: z.number().int().min(1).max(100).default(10).describe('T: steps per episode'),
  stateItems: z.number().int().min(1).max(50).default(5).describe('N: recent positively-rated items in the state'),
  positionDiscount: z
    .number()
    .min(0)
    .max(1)
    .default(0.9)
    .describe("Γ: the list-wise reward is the sum over positions k of Γ^(k-1) × item k's reward"),
  discount: z.number().min(0).lt(1).default(0.5).describe('γ: the return discount between steps'),
  positiveRating: z.number().default(4).describe('a (simulated) rating at least this is positive and enters the state'),
  heldOutFraction: z.number().gt(0).lt(1).default(0.2).describe("each user's ratings held out to measure the simulator"),
  simulatorAlpha: z.number().min(0).max(1).default(0.2).describe("α: the state's share of a memory's similarity (the item's: 1 - α)"),
  simulatorTemperature: z.number().positive().default(0.1).describe("τ: a memory's vote is exp(similarity / τ)"),
  embeddingDim: z.number().int().min(2).default(16).describe("the BPR-MF item embeddings' size"),
  embeddingEpochs: z.number().int().min(1).default(30).describe('epochs of the BPR-MF that gives the item embeddings'),
  hidden: z.number().int().min(1).default(32).describe("the actor's and the critic's hidden layer"),
  actorLearningRate: z.number().positive().default(0.0001).describe('Adam step of the actor'),
  criticLearningRate: z.number().positive().default(0.003).describe('Adam step of the critic'),
  batchSize: z.number().int().min(1).default(32).describe('transitions per actor-critic update'),
  updatesPerEpisode: z.number().int().min(1).default(2).describe('actor-critic updates after each episode'),
  replayCapacity: z.number().int().min(1).default(20000).describe('transitions the replay buffer keeps'),
  targetMixing: z.number().gt(0).max(1).default(0.01).describe("τ': soft update of the target networks (centralized)"),
  explorationNoise: z.number().min(0).default(0.1).describe("standard deviation of the Gaussian noise on the actor's weight vectors"),
  epochs: z.number().int().min(1).default(1).describe('centralized training: episodes per user'),
});

export type LirdOptions = z.output<typeof lirdOptionsSchema> & {
  /** Seeds the split, the embeddings, the networks, the noise and the replay sampling. */
  readonly seed: number;
};

/** The defaults overridden by `options`, validated; a bad or unknown option is a ConfigError naming it. */
export function resolveLirdOptions(options: Partial<LirdOptions> | Readonly<Record<string, unknown>> = {}): LirdOptions {
  const { seed = 0, ...rest } = options as { seed?: number };
  if (!Number.isInteger(seed) || seed < 0) throw new ConfigError(`recsys/lird: seed must be an integer >= 0, got ${seed}`);
  return { ...parseOptions('task recsys/lird', lirdOptionsSchema, rest), seed };
}

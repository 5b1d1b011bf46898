// LIRD (Zhao et al. 2017): list-wise recommendation as an MDP, an actor-critic trained against a memory-based user
// simulator built from rating logs; centralized, and federated with each device's episodes its own user's.
export { lirdOptionsSchema, resolveLirdOptions } from './lird-options.js';
export type { LirdOptions } from './lird-options.js';
export { splitRatingHistories } from './rating-histories.js';
export type { RatingHistories, RatingHistory } from './rating-histories.js';
export { ItemSpace } from './item-space.js';
export { MemorySimulator } from './memory-simulator.js';
export type { SimulatorParameters, StateView } from './memory-simulator.js';
export { simulatorFidelity } from './simulator-fidelity.js';
export type { SimulatorFidelity } from './simulator-fidelity.js';
export { maxListReward, SimulatedUser, topUnblocked } from './simulated-user.js';
export type { EpisodeShape, RatingScale } from './simulated-user.js';
export { DenseNetwork, NetworkPass } from './dense-network.js';
export { ReplayBuffer } from './replay-buffer.js';
export { ActorCriticLearner, ActorCriticNetworks, mixInto } from './actor-critic.js';
export type { ActorCriticWeights, ActorCriticShape } from './actor-critic.js';
export { ActorPolicy, playEpisode, ScoredPolicy } from './list-policies.js';
export type { ListPolicy } from './list-policies.js';
export { LirdEnvironment } from './lird-environment.js';
export { LirdCentralizedTrainer } from './lird-centralized-trainer.js';
export type { LirdEpochProgress } from './lird-centralized-trainer.js';
export { LIRD_ACTOR, LIRD_CRITIC, LirdDevice } from './lird-device.js';
export { LirdTask } from './lird-task.js';
export { lirdEntry } from './lird-entry.js';

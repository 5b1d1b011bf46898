// The engagement game: producers placing content in a trained recommender's embedding space to maximise their
// engagement under softmax or hardmax serving, played by best-response dynamics to equilibrium.
export { engagementGameOptionsSchema, resolveEngagementGameOptions } from './engagement-game-options.js';
export type { EngagementGameOptions } from './engagement-game-options.js';
export { principalFeatures, rotateRows, symmetricEigen } from './feature-basis.js';
export { gameSpace, topFeatureShare } from './game-space.js';
export type { GameSpace } from './game-space.js';
export { playBestResponses } from './best-response-dynamics.js';
export type { GameOutcome, ServingRule, SweepRecord } from './best-response-dynamics.js';
export { describeRule, playEngagementGame, runEngagementGame } from './engagement-game.js';
export type { EngagementGameProgress, EngagementGameResult } from './engagement-game.js';

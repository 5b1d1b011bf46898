// The engagement game on a trained recommender: BPR-MF learns users and items from the interactions (all of
// them: the game needs the model's view of users, not a held-out score), producers start at random items, and
// best-response dynamics run once per serving rule from the same start, so the rules are compared like for like.

import { SeededRandom } from '@strata/shared';
import { CentralizedBprTrainer } from '../bpr-mf/centralized-bpr-trainer.js';
import type { Interactions } from '../data/interactions.js';
import { groupItemsByUser } from '../data/split-per-user.js';
import { type GameOutcome, playBestResponses, type ServingRule } from './best-response-dynamics.js';
import { resolveEngagementGameOptions, type EngagementGameOptions } from './engagement-game-options.js';
import { type GameSpace, gameSpace, topFeatureShare } from './game-space.js';

export interface EngagementGameResult {
  readonly options: EngagementGameOptions;
  readonly space: GameSpace;
  /** Producers' starting candidates (random distinct items). */
  readonly start: readonly number[];
  /** One outcome per serving rule: softmax at each temperature (ascending), then hardmax. */
  readonly outcomes: readonly GameOutcome[];
  /** Mean top-feature share of the catalogue's items and of the users' directions: what specialisation is compared with. */
  readonly catalogueSpecialisation: number;
  readonly userSpecialisation: number;
  readonly modelSeconds: number;
}

export interface EngagementGameProgress {
  /** 'model' while BPR-MF trains, then the serving rule being played. */
  readonly stage: string;
  readonly done: number;
  readonly total: number;
}

/** Trains the space's BPR-MF on `data` and plays every configured serving rule. */
export async function runEngagementGame(
  data: Interactions,
  options: Readonly<Record<string, unknown>> = {},
  onProgress?: (progress: EngagementGameProgress) => void,
): Promise<EngagementGameResult> {
  const o = resolveEngagementGameOptions(options);
  const started = performance.now();
  const train = groupItemsByUser(data);
  const trainer = new CentralizedBprTrainer(
    { numUsers: data.numUsers, numItems: data.numItems, train, test: train.map(() => new Int32Array(0)) },
    { dim: o.dim, seed: o.seed, threads: 1 },
  );
  const model = await trainer.train((p) => onProgress?.({ stage: 'model', done: p.epoch, total: p.epochs }));
  const modelSeconds = (performance.now() - started) / 1000;
  return playEngagementGame(gameSpace(model.users, model.items, o.dim), o, modelSeconds, onProgress);
}

/** Plays every configured serving rule in `space` from one seeded start. */
export function playEngagementGame(
  space: GameSpace,
  o: EngagementGameOptions,
  modelSeconds = 0,
  onProgress?: (progress: EngagementGameProgress) => void,
): EngagementGameResult {
  const items = new SeededRandom(o.seed)
    .fork('engagement-game:start')
    .shuffle(Int32Array.from({ length: space.numItemCandidates }, (_, i) => i));
  const start = Array.from(items.subarray(0, o.producers));
  const rules: ServingRule[] = [
    ...[...o.temperatures].sort((a, b) => a - b).map((t) => ({ kind: 'softmax' as const, temperature: t * space.scoreStd })),
    ...(o.hardmax ? [{ kind: 'hardmax' as const }] : []),
  ];
  const outcomes = rules.map((rule, k) => {
    onProgress?.({ stage: describeRule(rule, space), done: k, total: rules.length });
    return playBestResponses(space, rule, start, o.maxSweeps);
  });
  const mean = (rows: Float32Array, count: number): number => {
    let total = 0;
    for (let r = 0; r < count; r++) total += topFeatureShare(rows, r * space.dim, space.dim);
    return total / count;
  };
  return {
    options: o,
    space,
    start,
    outcomes,
    catalogueSpecialisation: mean(space.candidates, space.numItemCandidates),
    userSpecialisation: mean(space.users, space.numUsers),
    modelSeconds,
  };
}

/** `softmax τ=0.3σ` or `hardmax`, with the temperature in units of the space's score deviation. */
export function describeRule(rule: ServingRule, space: GameSpace): string {
  return rule.kind === 'hardmax' ? 'hardmax' : `softmax τ=${Number((rule.temperature / space.scoreStd).toPrecision(3))}σ`;
}

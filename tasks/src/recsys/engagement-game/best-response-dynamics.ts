// Best-response dynamics of the engagement game (content producers competing for users' attention on a
// platform, as in Hron et al. 2022, "Modeling content creator incentives on algorithm-curated platforms", and
// Jagadeesan et al. 2023, "Supply-side equilibria in recommender systems"): producers in turn move to the
// position that maximises their engagement (the expected share of users served their content) given everyone
// else's, until a full sweep moves nobody: a pure Nash equilibrium over the candidate positions. At low
// temperatures and under hardmax there may be none: the dynamics then return to a state they were in (a
// best-response cycle), where they stop and the outcome's figures are averaged over the cycle. Serving is a
// softmax over user-content scores at a temperature, or hardmax (each user is served their best-scored
// content; ties split the user). Best responses are exact: every candidate is scored.

import type { GameSpace } from './game-space.js';
import { topFeatureShare } from './game-space.js';

export type ServingRule = { readonly kind: 'softmax'; readonly temperature: number } | { readonly kind: 'hardmax' };

export interface SweepRecord {
  readonly sweep: number;
  /** Producers that moved in this sweep. */
  readonly moves: number;
  /** The largest engagement gain a move brought. */
  readonly largestGain: number;
  readonly producerEngagement: readonly number[];
  readonly userUtility: number;
  /** Every producer's candidate after the sweep. */
  readonly positions: readonly number[];
}

export interface GameOutcome {
  readonly rule: ServingRule;
  /** Candidate index of each producer at the end. */
  readonly positions: readonly number[];
  /** True when the last sweep moved nobody (an equilibrium). */
  readonly converged: boolean;
  /** Sweeps in the best-response cycle the dynamics fell into (0: none found). */
  readonly cycleLength: number;
  readonly sweeps: number;
  readonly history: readonly SweepRecord[];
  // The figures below are the equilibrium's, or their means over the sweeps of the cycle (or, when neither was
  // reached, of the last sweep).
  /** Each producer's expected share of users, summing to 1, highest first. */
  readonly producerEngagement: readonly number[];
  /** Mean over users of the expected score of what they are served. */
  readonly userUtility: number;
  /** userUtility over the mean of each user's best candidate score (1: everyone served their favourite). */
  readonly userWelfareRatio: number;
  /** The mean over producers of the share of their position's squared norm on its top feature. */
  readonly specialisation: number;
  /** Producers at a pure feature (±axis). */
  readonly pureFeatureProducers: number;
  readonly distinctPositions: number;
  /** Distinct features that are some producer's top feature. */
  readonly distinctTopFeatures: number;
}

/** A move must gain more than this much engagement: ties never move a producer, so the dynamics cannot cycle on them. */
const MIN_GAIN = 1e-9;

/** Plays best responses from `start` (a candidate index per producer) for at most `maxSweeps` sweeps. */
export function playBestResponses(space: GameSpace, rule: ServingRule, start: readonly number[], maxSweeps: number): GameOutcome {
  const game = new ServedGame(space, rule);
  const positions = [...start];
  const history: SweepRecord[] = [];
  const seen = new Map<string, number>([[positions.join(','), 0]]);
  let converged = false;
  let cycleLength = 0;
  for (let sweep = 1; sweep <= maxSweeps && !converged && cycleLength === 0; sweep++) {
    let moves = 0;
    let largestGain = 0;
    for (let j = 0; j < positions.length; j++) {
      const values = game.engagementOfEveryCandidate(positions, j);
      let best = positions[j];
      for (let c = 0; c < values.length; c++) if (values[c] > values[best] + MIN_GAIN) best = c;
      if (best !== positions[j]) {
        largestGain = Math.max(largestGain, values[best] - values[positions[j]]);
        positions[j] = best;
        moves++;
      }
    }
    const { engagement, userUtility } = game.evaluate(positions);
    history.push({ sweep, moves, largestGain, producerEngagement: engagement, userUtility, positions: [...positions] });
    converged = moves === 0;
    const key = positions.join(',');
    const before = seen.get(key);
    if (!converged && before !== undefined) cycleLength = sweep - before;
    seen.set(key, sweep);
  }
  const settled = history.slice(history.length - Math.max(1, cycleLength));
  const mean = (of: (record: SweepRecord) => number): number => settled.reduce((total, r) => total + of(r), 0) / settled.length;
  const { dim, candidates, numItemCandidates } = space;
  const topFeature = (c: number): number => {
    let top = 0;
    for (let k = 1; k < dim; k++) if (Math.abs(candidates[c * dim + k]) > Math.abs(candidates[c * dim + top])) top = k;
    return top;
  };
  const userUtility = mean((r) => r.userUtility);
  return {
    rule,
    positions,
    converged,
    cycleLength,
    sweeps: history.length,
    history,
    producerEngagement: positions.map((_, j) => mean((r) => [...r.producerEngagement].sort((a, b) => b - a)[j])).sort((a, b) => b - a),
    userUtility,
    userWelfareRatio: userUtility / game.bestPossibleUtility(),
    specialisation: mean(
      (r) => r.positions.reduce((total, c) => total + topFeatureShare(candidates, c * dim, dim), 0) / r.positions.length,
    ),
    pureFeatureProducers: mean((r) => r.positions.filter((c) => c >= numItemCandidates).length),
    distinctPositions: mean((r) => new Set(r.positions).size),
    distinctTopFeatures: mean((r) => new Set(r.positions.map(topFeature)).size),
  };
}

/** The game's payoffs under one serving rule. */
class ServedGame {
  /** Softmax: exp((score - the user's best candidate score) / temperature); in [0, 1], doubles against underflow. */
  private readonly weights: Float64Array | null;

  constructor(
    private readonly space: GameSpace,
    rule: ServingRule,
  ) {
    if (rule.kind === 'hardmax') {
      this.weights = null;
      return;
    }
    const { numUsers, numCandidates, scores } = space;
    const tau = rule.temperature;
    this.weights = new Float64Array(scores.length);
    for (let u = 0; u < numUsers; u++) {
      const row = u * numCandidates;
      let best = Number.NEGATIVE_INFINITY;
      for (let c = 0; c < numCandidates; c++) best = Math.max(best, scores[row + c]);
      for (let c = 0; c < numCandidates; c++) this.weights[row + c] = Math.exp((scores[row + c] - best) / tau);
    }
  }

  /** Producer j's engagement at every candidate position, the others staying where they are. */
  engagementOfEveryCandidate(positions: readonly number[], j: number): Float64Array {
    const { numUsers, numCandidates, scores } = this.space;
    const out = new Float64Array(numCandidates);
    for (let u = 0; u < numUsers; u++) {
      const row = u * numCandidates;
      if (this.weights !== null) {
        let others = 0;
        for (let k = 0; k < positions.length; k++) if (k !== j) others += this.weights[row + positions[k]];
        for (let c = 0; c < numCandidates; c++) {
          const w = this.weights[row + c];
          out[c] += w + others > 0 ? w / (w + others) : 1 / positions.length;
        }
      } else {
        let best = Number.NEGATIVE_INFINITY;
        let ties = 0;
        for (let k = 0; k < positions.length; k++) {
          if (k === j) continue;
          const s = scores[row + positions[k]];
          if (s > best) {
            best = s;
            ties = 1;
          } else if (s === best) ties++;
        }
        for (let c = 0; c < numCandidates; c++) {
          const s = scores[row + c];
          if (s > best) out[c] += 1;
          else if (s === best) out[c] += 1 / (ties + 1);
        }
      }
    }
    for (let c = 0; c < numCandidates; c++) out[c] /= numUsers;
    return out;
  }

  /** Each producer's engagement and the users' mean expected score of what they are served. */
  evaluate(positions: readonly number[]): { engagement: number[]; userUtility: number } {
    const { numUsers, numCandidates, scores } = this.space;
    const engagement = new Array<number>(positions.length).fill(0);
    const served = new Float64Array(positions.length);
    let utility = 0;
    for (let u = 0; u < numUsers; u++) {
      const row = u * numCandidates;
      if (this.weights !== null) {
        for (let k = 0; k < positions.length; k++) served[k] = this.weights[row + positions[k]];
      } else {
        let best = Number.NEGATIVE_INFINITY;
        for (const c of positions) best = Math.max(best, scores[row + c]);
        for (let k = 0; k < positions.length; k++) served[k] = scores[row + positions[k]] === best ? 1 : 0;
      }
      let total = 0;
      for (let k = 0; k < positions.length; k++) total += served[k];
      for (let k = 0; k < positions.length; k++) {
        const share = total > 0 ? served[k] / total : 1 / positions.length;
        engagement[k] += share / numUsers;
        utility += (share * scores[row + positions[k]]) / numUsers;
      }
    }
    return { engagement, userUtility: utility };
  }

  /** The mean over users of their best candidate's score. */
  bestPossibleUtility(): number {
    const { numUsers, numCandidates, scores } = this.space;
    let total = 0;
    for (let u = 0; u < numUsers; u++) {
      let best = Number.NEGATIVE_INFINITY;
      for (let c = 0; c < numCandidates; c++) best = Math.max(best, scores[u * numCandidates + c]);
      total += best;
    }
    return total / numUsers;
  }
}

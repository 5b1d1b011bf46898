// Synthetic implicit-feedback data with planted latent structure, for any number of users: users belong to
// communities with nearby factors, each user picks items by a softmax over (planted affinity + item
// popularity), sampled without replacement. Because the generating scores are known, accuracy is checkable:
// the planted scorer is a near-ceiling reference, popularity the floor a learnt model must clear.

import { SeededRandom } from '@strata/shared';
import type { UserScorer } from '../evaluation/ranking-evaluation.js';
import type { Interactions } from '../data/interactions.js';
import { resolveSyntheticRecsysOptions, type SyntheticRecsysOptions } from './synthetic-options.js';

export interface SyntheticRecsysData {
  readonly options: SyntheticRecsysOptions;
  /** Users and items indexed from 0; user ids are their numbers, so contiguous users share a community. */
  readonly interactions: Interactions;
  /** The community of each user (users are numbered community by community). */
  readonly userCommunity: Int32Array;
  /** Planted user factors [users, rank] and item factors [items, rank], row-major. */
  readonly userFactors: Float32Array;
  readonly itemFactors: Float32Array;
  /** log of each item's popularity weight. */
  readonly itemLogPopularity: Float32Array;
  /** The generating score of every item for a user (without the sampling noise). */
  readonly plantedScorer: UserScorer;
}

export function generateSyntheticRecsysData(options: Partial<SyntheticRecsysOptions> = {}): SyntheticRecsysData {
  const o = resolveSyntheticRecsysOptions(options);
  const random = new SeededRandom(o.seed).fork('synthetic-recsys');
  const { users, items, rank, communities } = o;

  const centres = gaussian(communities * rank, random.fork('centres'), 1);
  const userCommunity = Int32Array.from({ length: users }, (_, u) => Math.floor((u * communities) / users));
  const userFactors = new Float32Array(users * rank);
  const userNoise = random.fork('users');
  for (let u = 0; u < users; u++) {
    const c = userCommunity[u];
    for (let k = 0; k < rank; k++) userFactors[u * rank + k] = centres[c * rank + k] + o.communitySpread * userNoise.normal();
  }
  const itemFactors = gaussian(items * rank, random.fork('items'), 1);
  // Popularity follows a Zipf law over a random order of the items, so popular items are not the low ids.
  const popularityOrder = random.fork('popularity').shuffle(Int32Array.from({ length: items }, (_, i) => i));
  const itemLogPopularity = new Float32Array(items);
  for (let r = 0; r < items; r++) itemLogPopularity[popularityOrder[r]] = -o.popularity * Math.log(r + 1);
  // The affinity term has standard deviation `affinity` whatever the rank and spread.
  const scale = o.affinity / Math.sqrt(rank * (1 + o.communitySpread * o.communitySpread));

  const plantedScorer: UserScorer = (user, out) => {
    const p = user * rank;
    for (let i = 0, q = 0; i < items; i++, q += rank) {
      let dot = 0;
      for (let k = 0; k < rank; k++) dot += userFactors[p + k] * itemFactors[q + k];
      out[i] = scale * dot + itemLogPopularity[i];
    }
  };

  const counts = random.fork('counts');
  const choices = random.fork('choices');
  const scores = new Float32Array(items);
  const perUser: Int32Array[] = [];
  let total = 0;
  for (let u = 0; u < users; u++) {
    const wanted = Math.round(o.interactionsPerUser * Math.exp(0.5 * counts.normal() - 0.125));
    const n = Math.min(items - 1, Math.max(o.minInteractions, wanted));
    plantedScorer(u, scores);
    // Gumbel top-k: the n largest of score + Gumbel noise are a sample without replacement from softmax(score).
    for (let i = 0; i < items; i++) scores[i] -= Math.log(-Math.log(1 - choices.next()));
    const chosen = topK(scores, n).sort();
    perUser.push(chosen);
    total += n;
  }

  const userColumn = new Int32Array(total);
  const itemColumn = new Int32Array(total);
  let at = 0;
  for (let u = 0; u < users; u++) {
    userColumn.fill(u, at, at + perUser[u].length);
    itemColumn.set(perUser[u], at);
    at += perUser[u].length;
  }
  const interactions: Interactions = {
    numUsers: users,
    numItems: items,
    userIds: Array.from({ length: users }, (_, u) => String(u)),
    itemIds: Array.from({ length: items }, (_, i) => String(i)),
    users: userColumn,
    items: itemColumn,
    timestamps: new Float64Array(total),
    source: `synthetic(users=${users}, items=${items}, rank=${rank}, communities=${communities}, seed=${o.seed})`,
  };
  return { options: o, interactions, userCommunity, userFactors, itemFactors, itemLogPopularity, plantedScorer };
}

function gaussian(length: number, random: SeededRandom, std: number): Float32Array {
  const out = new Float32Array(length);
  for (let k = 0; k < length; k++) out[k] = random.normal() * std;
  return out;
}

/** Indices of the k largest values (a size-k min-heap: O(n log k), no full sort). */
function topK(values: Float32Array, k: number): Int32Array {
  const heap = new Int32Array(k);
  let size = 0;
  const less = (a: number, b: number): boolean => values[heap[a]] < values[heap[b]];
  const swap = (a: number, b: number): void => {
    const t = heap[a];
    heap[a] = heap[b];
    heap[b] = t;
  };
  const siftDown = (start: number): void => {
    let i = start;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < size && less(l, m)) m = l;
      if (r < size && less(r, m)) m = r;
      if (m === i) return;
      swap(i, m);
      i = m;
    }
  };
  for (let i = 0; i < values.length; i++) {
    if (size < k) {
      heap[size] = i;
      let c = size++;
      while (c > 0) {
        const parent = (c - 1) >> 1;
        if (!less(c, parent)) break;
        swap(c, parent);
        c = parent;
      }
    } else if (values[i] > values[heap[0]]) {
      heap[0] = i;
      siftDown(0);
    }
  }
  return heap;
}

// Full-ranking metrics for one user: rank every item the user has not trained on, take the top K, and
// score the held-out items' places. The building block of central evaluation and of on-device evaluation.

import { ConfigError } from '@strata/shared';

/** The metric names for these cut-offs, in a stable order: recall@K, ndcg@K, hit@K, mrr@K per K. */
export function rankingMetricNames(ks: readonly number[]): string[] {
  return ks.flatMap((k) => [`recall@${k}`, `ndcg@${k}`, `hit@${k}`, `mrr@${k}`]);
}

export function checkCutoffs(ks: readonly number[]): void {
  if (ks.length === 0) throw new ConfigError('ranking evaluation needs at least one cut-off K');
  for (const k of ks) {
    if (!Number.isInteger(k) || k < 1) throw new ConfigError(`ranking cut-off K must be a positive integer, got ${k}`);
  }
}

/**
 * Adds one user's metrics to `sums` (keys from rankingMetricNames). `scores` holds a score for every item;
 * `train` and `test` are the user's sorted item lists; train items are excluded from the ranking. Equal
 * scores rank the lower item index first, so results are deterministic. Per user, with hits the test items
 * in the top K: recall = hits / |test|; ndcg = DCG / ideal DCG of min(K, |test|) hits; hit = 1 if any hit;
 * mrr = 1 / rank of the first hit. Returns false (adding nothing) when the user has no test item.
 */
export function addUserRanking(
  scores: Float32Array,
  train: Int32Array,
  test: Int32Array,
  ks: readonly number[],
  sums: Record<string, number>,
): boolean {
  if (test.length === 0) return false;
  const maxK = Math.max(...ks);
  const top = topKExcluding(scores, train, maxK);
  // hitRank[r] = 1 when the item at rank r (0-based) is a test item.
  const hitRank = new Uint8Array(top.length);
  for (let r = 0; r < top.length; r++) hitRank[r] = contains(test, top[r]) ? 1 : 0;
  for (const k of ks) {
    let hits = 0;
    let dcg = 0;
    let firstHit = -1;
    const cut = Math.min(k, top.length);
    for (let r = 0; r < cut; r++) {
      if (hitRank[r] === 0) continue;
      hits++;
      dcg += 1 / Math.log2(r + 2);
      if (firstHit < 0) firstHit = r;
    }
    let idcg = 0;
    for (let r = 0; r < Math.min(k, test.length); r++) idcg += 1 / Math.log2(r + 2);
    sums[`recall@${k}`] = (sums[`recall@${k}`] ?? 0) + hits / test.length;
    sums[`ndcg@${k}`] = (sums[`ndcg@${k}`] ?? 0) + dcg / idcg;
    sums[`hit@${k}`] = (sums[`hit@${k}`] ?? 0) + (hits > 0 ? 1 : 0);
    sums[`mrr@${k}`] = (sums[`mrr@${k}`] ?? 0) + (firstHit >= 0 ? 1 / (firstHit + 1) : 0);
  }
  return true;
}

/** The indices of the k best-scored items not in `excluded` (sorted ascending), best first. */
export function topKExcluding(scores: Float32Array, excluded: Int32Array, k: number): Int32Array {
  const items = new Int32Array(k);
  const best = new Float64Array(k);
  let count = 0;
  let next = 0;
  for (let item = 0; item < scores.length; item++) {
    while (next < excluded.length && excluded[next] < item) next++;
    if (next < excluded.length && excluded[next] === item) continue;
    const s = scores[item];
    if (count === k && !(s > best[k - 1])) continue;
    let p = count < k ? count++ : k - 1;
    // Strictly greater moves up: among equal scores the earlier (lower) item stays ahead.
    while (p > 0 && s > best[p - 1]) {
      best[p] = best[p - 1];
      items[p] = items[p - 1];
      p--;
    }
    best[p] = s;
    items[p] = item;
  }
  return items.subarray(0, count);
}

function contains(sorted: Int32Array, value: number): boolean {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const v = sorted[mid];
    if (v === value) return true;
    if (v < value) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}

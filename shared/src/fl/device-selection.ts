// Which devices take part in an edge iteration: a seeded uniform sample of ceil(fraction * available),
// at least one, in the candidates' own order (so the same seed picks the same devices).

import type { SeededRandom } from '../random/seeded-random.js';

export function selectDevices<T>(candidates: readonly T[], fraction: number, random: SeededRandom): T[] {
  const n = candidates.length;
  if (n === 0) return [];
  const k = Math.min(n, Math.max(1, Math.ceil(n * fraction - 1e-9)));
  if (k === n) return [...candidates];
  const indices = Uint32Array.from({ length: n }, (_, i) => i);
  // Partial Fisher-Yates: the first k positions are a uniform sample.
  for (let i = 0; i < k; i++) {
    const j = i + random.int(n - i);
    const t = indices[i];
    indices[i] = indices[j];
    indices[j] = t;
  }
  return Array.from(indices.subarray(0, k))
    .sort((a, b) => a - b)
    .map((i) => candidates[i]);
}

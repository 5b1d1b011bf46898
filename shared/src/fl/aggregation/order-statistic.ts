// Order statistics by selection (Hoare's quickselect, median-of-three pivots), O(n) on average where a sort is
// O(n log n): the clipping stage takes the median of every row norm of an iteration's updates (a radiance grid's
// round: millions), and a pruned upload the k-th largest of its importances. Both reorder `values` in place, so
// callers pass an array they own. A NaN counts as +Infinity (and is overwritten by it): above every number, as a
// sort puts it.

/** The k-th smallest of `values` (0-based), reordering `values`; `values` must not be empty. */
export function kthSmallestInPlace(values: Float64Array, k: number): number {
  if (!(k >= 0 && k < values.length)) throw new RangeError(`order statistic ${k} of ${values.length} values`);
  for (let i = 0; i < values.length; i++) if (Number.isNaN(values[i])) values[i] = Number.POSITIVE_INFINITY;
  let lo = 0;
  let hi = values.length - 1;
  while (hi > lo) {
    const pivot = medianOfThree(values[lo], values[(lo + hi) >> 1], values[hi]);
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (values[i] < pivot) i++;
      while (values[j] > pivot) j--;
      if (i <= j) {
        const t = values[i];
        values[i] = values[j];
        values[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else break;
  }
  return values[k];
}

/** The median of `values` (the mean of the two middle ones for an even count; 0 when empty), reordering `values`. */
export function medianInPlace(values: Float64Array): number {
  const n = values.length;
  if (n === 0) return 0;
  const mid = n >> 1;
  const upper = kthSmallestInPlace(values, mid);
  if (n % 2 === 1) return upper;
  // After selection every value below `mid` is at most the upper middle: the lower middle is their maximum.
  let lower = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < mid; i++) if (values[i] > lower) lower = values[i];
  return (lower + upper) / 2;
}

function medianOfThree(a: number, b: number, c: number): number {
  return Math.max(Math.min(a, b), Math.min(Math.max(a, b), c));
}

// The sorted union of several sorted row lists, and which inputs hold each row of it: the index work of
// every sparse-row aggregation (mean, median, trimmed mean). Aggregations then walk the union in order,
// building each output row whole while it sits in L1 cache and reading every input front to back;
// accumulating input by input instead scatters read-modify-writes over the whole output table, which is
// bound by cache misses once the table outgrows the cache.

/**
 * `rows` is the sorted union. Output row u is held by the entries offsets[u] .. offsets[u + 1] - 1 of
 * `holderInput` (which input) and `holderRow` (which of that input's rows), in input order.
 */
export interface RowUnion {
  readonly rows: Uint32Array;
  readonly offsets: Int32Array;
  readonly holderInput: Int32Array;
  readonly holderRow: Int32Array;
}

/**
 * Above this many table rows per input row, a scratch map over the whole table costs more than sorting
 * the input rows (allocating and scanning the map is linear in the table, sorting in the rows).
 */
const MAP_ROWS_PER_INPUT_ROW = 16;

/** Unions `rowLists` (each strictly increasing, every row below `rowCount`). */
export function unionRows(rowLists: readonly Uint32Array[], rowCount: number): RowUnion {
  let total = 0;
  for (const rows of rowLists) total += rows.length;
  // slots[at + k]: position in the union of the k-th row of the input whose rows start at `at`.
  const slots = new Uint32Array(total);
  const rows = rowCount <= MAP_ROWS_PER_INPUT_ROW * total ? unionByMap(rowLists, rowCount, slots) : unionBySort(rowLists, total, slots);

  const offsets = new Int32Array(rows.length + 1);
  for (let j = 0; j < total; j++) offsets[slots[j] + 1]++;
  for (let u = 0; u < rows.length; u++) offsets[u + 1] += offsets[u];
  const cursor = offsets.slice(0, rows.length);
  const holderInput = new Int32Array(total);
  const holderRow = new Int32Array(total);
  let at = 0;
  for (const [i, list] of rowLists.entries()) {
    for (let k = 0; k < list.length; k++) {
      const to = cursor[slots[at + k]]++;
      holderInput[to] = i;
      holderRow[to] = k;
    }
    at += list.length;
  }
  return { rows, offsets, holderInput, holderRow };
}

/** Marks rows in a table-sized map, numbers the marked rows in order, then reads the slots off it. */
function unionByMap(rowLists: readonly Uint32Array[], rowCount: number, slots: Uint32Array): Uint32Array {
  // 0 = absent; after numbering, slot + 1.
  const map = new Int32Array(rowCount);
  for (const list of rowLists) {
    for (let k = 0; k < list.length; k++) map[list[k]] = 1;
  }
  let count = 0;
  for (let r = 0; r < rowCount; r++) if (map[r] !== 0) count++;
  const union = new Uint32Array(count);
  let next = 0;
  for (let r = 0; r < rowCount; r++) {
    if (map[r] !== 0) {
      union[next] = r;
      map[r] = ++next;
    }
  }
  let at = 0;
  for (const list of rowLists) {
    for (let k = 0; k < list.length; k++) slots[at++] = map[list[k]] - 1;
  }
  return union;
}

/** Sorts all rows and drops repeats; slots by binary search, each resumed where the input's last ended. */
function unionBySort(rowLists: readonly Uint32Array[], total: number, slots: Uint32Array): Uint32Array {
  const all = new Uint32Array(total);
  let at = 0;
  for (const list of rowLists) {
    all.set(list, at);
    at += list.length;
  }
  all.sort();
  let count = 0;
  for (let k = 0; k < total; k++) {
    if (k === 0 || all[k] !== all[k - 1]) all[count++] = all[k];
  }
  const union = all.slice(0, count);
  at = 0;
  for (const list of rowLists) {
    let lo = 0;
    for (let k = 0; k < list.length; k++) {
      const row = list[k];
      let hi = count;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (union[mid] < row) lo = mid + 1;
        else hi = mid;
      }
      slots[at++] = lo;
    }
  }
  return union;
}

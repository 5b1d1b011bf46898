import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { unionRows } from '../src/fl/aggregation/row-union.js';

/** Sets of rows below `rowCount`, as sorted lists. */
const rowLists = (rowCount: number) =>
  fc.array(
    fc
      .uniqueArray(fc.integer({ min: 0, max: rowCount - 1 }), { maxLength: 40 })
      .map((rows) => Uint32Array.from(rows.sort((a, b) => a - b))),
    { minLength: 1, maxLength: 6 },
  );

function checkUnion(lists: readonly Uint32Array[], rowCount: number): void {
  const { rows, offsets, holderInput, holderRow } = unionRows(lists, rowCount);
  const expected = [...new Set(lists.flatMap((l) => [...l]))].sort((a, b) => a - b);
  assert.deepEqual([...rows], expected);
  for (const [u, row] of expected.entries()) {
    const holders: [number, number][] = [];
    for (let h = offsets[u]; h < offsets[u + 1]; h++) holders.push([holderInput[h], holderRow[h]]);
    const expectedHolders = lists.flatMap((l, i) => {
      const k = l.indexOf(row);
      return k >= 0 ? [[i, k] as [number, number]] : [];
    });
    assert.deepEqual(holders, expectedHolders, `holders of row ${row}`);
  }
}

test('row union through the table-sized map (small tables): rows sorted, holders in input order', () => {
  fc.assert(
    fc.property(rowLists(50), (lists) => checkUnion(lists, 50)),
    { seed: 7, numRuns: 200 },
  );
});

test('row union through sorting (tables far larger than the rows sent)', () => {
  const rowCount = 2 ** 32 - 1;
  fc.assert(
    fc.property(rowLists(rowCount), (lists) => checkUnion(lists, rowCount)),
    { seed: 8, numRuns: 200 },
  );
});

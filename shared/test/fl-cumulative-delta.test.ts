// CumulativeDelta: what an edge sends up after its iterations. resultInPlace must give exactly result's
// update (the distributed and embedded runs compare models bit for bit) while reusing the model's memory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CumulativeDelta, SeededRandom, cloneModel, dense, type ModelParams, type TensorValue } from '../src/index.js';

function randomValues(random: SeededRandom, n: number): Float32Array {
  return Float32Array.from({ length: n }, () => random.normal());
}

/** A model with a dense tensor and an embedding table, moved by one dense and one sparse iteration. */
function scenario(): { base: ModelParams; current: ModelParams; cumulative: CumulativeDelta } {
  const random = new SeededRandom(7);
  const base: ModelParams = new Map([
    ['dense', dense([3, 5], randomValues(random, 15))],
    ['table', dense([6, 2], randomValues(random, 12))],
  ]);
  const cumulative = new CumulativeDelta(base);
  const current = cloneModel(base);
  const dDense = randomValues(random, 15);
  const rows = Uint32Array.of(1, 4);
  const dRows = randomValues(random, 4);
  cumulative.record({
    delta: new Map<string, TensorValue>([
      ['dense', dense([3, 5], dDense)],
      ['table', { kind: 'sparse', shape: [6, 2], rows, values: dRows }],
    ]),
    weight: 3,
    metrics: { loss: 1.5 },
  });
  current.get('dense')!.values.forEach((v, i, a) => (a[i] = v + 0.1 * dDense[i]));
  rows.forEach((r, k) => {
    const t = current.get('table')!.values;
    t[r * 2] += dRows[k * 2];
    t[r * 2 + 1] += dRows[k * 2 + 1];
  });
  return { base, current, cumulative };
}

test("resultInPlace gives result's update bit for bit, its dense tensors in the model's memory", () => {
  const copied = scenario();
  const expected = copied.cumulative.result(copied.current);
  const { current, cumulative } = scenario();
  const denseMemory = current.get('dense')!.values;
  const tableBefore = current.get('table')!.values.slice();
  const actual = cumulative.resultInPlace(current);
  assert.deepEqual(actual, expected);
  assert.equal(actual.delta.get('dense')!.values, denseMemory, 'the dense delta reuses the model tensor');
  assert.deepEqual(current.get('table')!.values, tableBefore, 'a sparse-only tensor of the model is left alone');
  const table = actual.delta.get('table');
  assert.ok(table?.kind === 'sparse');
  assert.deepEqual([...table.rows], [1, 4]);
  assert.equal(actual.weight, 3);
});

test('result leaves the model as it was', () => {
  const { current, cumulative } = scenario();
  const before = cloneModel(current);
  cumulative.result(current);
  assert.deepEqual(current, before);
});

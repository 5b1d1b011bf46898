// The compact model's learned colour codebook: weighted k-means that finds clustered colours, follows the
// weights, and is deterministic for a seed.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SeededRandom } from '@strata/shared';
import { fitColourCodebook } from '../src/radiance/model/colour-codebook.js';

const WIDTH = 3;

function clustered(centres: number[][], perCentre: number, noise: number, seed: number): Float32Array {
  const random = new SeededRandom(seed);
  const out = new Float32Array(centres.length * perCentre * WIDTH);
  let at = 0;
  for (let p = 0; p < perCentre; p++) for (const centre of centres) for (const x of centre) out[at++] = x + noise * random.normal();
  return out;
}

test('eight well-separated clusters and eight codes: every vector is coded within its noise of its own centre', () => {
  const centres = Array.from({ length: 8 }, (_, c) => [c & 1, (c >> 1) & 1, (c >> 2) & 1].map((b) => 4 * b));
  const vectors = clustered(centres, 200, 0.05, 3);
  const n = vectors.length / WIDTH;
  const { codes, indices } = fitColourCodebook(vectors, WIDTH, new Float32Array(n).fill(1), {
    size: 8,
    iterations: 20,
    sample: 4096,
    seed: 1,
  });
  for (let i = 0; i < n; i++) {
    const centre = centres[i % 8];
    for (let j = 0; j < WIDTH; j++)
      assert.ok(Math.abs(codes[indices[i] * WIDTH + j] - centre[j]) < 0.05, `vector ${i} coded far from its centre`);
  }
  assert.equal(new Set(indices).size, 8, 'every code is used');
  const stages: string[] = [];
  const again = fitColourCodebook(vectors, WIDTH, new Float32Array(n).fill(1), {
    size: 8,
    iterations: 20,
    sample: 4096,
    seed: 1,
    onProgress: (done, total) => stages.push(`${done}/${total}`),
  });
  assert.deepEqual(again.codes, codes, 'the same seed fits the same codebook');
  assert.deepEqual(
    stages,
    Array.from({ length: 22 }, (_, i) => `${i + 1}/22`),
    'progress: the seeding, each iteration, the assignment',
  );
});

test('the weights steer the codes: one code over two clusters lands on the one that weighs', () => {
  const vectors = clustered(
    [
      [0, 0, 0],
      [10, 10, 10],
    ],
    100,
    0,
    5,
  );
  const weights = Float32Array.from({ length: 200 }, (_, i) => (i % 2 === 1 ? 1 : 0));
  const { codes } = fitColourCodebook(vectors, WIDTH, weights, { size: 1, iterations: 3, sample: 256, seed: 1 });
  assert.deepEqual(Array.from(codes), [10, 10, 10]);
});

test('a codebook size outside [1, 65536] and a vector count that does not match the weights are refused by name', () => {
  const ones = new Float32Array(2).fill(1);
  assert.throws(
    () => fitColourCodebook(new Float32Array(6), WIDTH, ones, { size: 0, iterations: 1, sample: 8, seed: 1 }),
    /codebook size 0/,
  );
  assert.throws(
    () => fitColourCodebook(new Float32Array(6), WIDTH, ones, { size: 65_537, iterations: 1, sample: 8, seed: 1 }),
    /codebook size 65537/,
  );
  assert.throws(
    () => fitColourCodebook(new Float32Array(5), WIDTH, ones, { size: 2, iterations: 1, sample: 8, seed: 1 }),
    /5 values for 2 vectors of 3/,
  );
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initTfjsBackend, unsortedSegmentSumCpu } from '../src/tfjs/index.js';

test('initTfjsBackend picks the pure-JS cpu backend here (no native bindings installed) and keeps quiet', async () => {
  const warnings: unknown[][] = [];
  const warn = console.warn;
  console.warn = (...args: unknown[]) => warnings.push(args);
  try {
    const info = await initTfjsBackend();
    assert.deepEqual(info, { backend: 'cpu', native: false, package: '@tensorflow/tfjs' });
    assert.equal(tf.getBackend(), 'cpu');
    tf.tidy(() => tf.add(tf.tensor1d([1, 2]), 1).dataSync());
    // Idempotent: a second call answers the first selection.
    assert.equal(await initTfjsBackend(), info);
  } finally {
    console.warn = warn;
  }
  assert.deepEqual(
    warnings.filter((w) => String(w[0]).includes('running TensorFlow.js in Node.js')),
    [],
  );
});

test('the linear-time UnsortedSegmentSum matches its definition (dropping out-of-range ids)', () => {
  const x = Float32Array.from({ length: 5 * 3 }, (_, k) => k + 1);
  const ids = [2, 0, 2, -1, 4];
  const out = new Float32Array(3 * 3);
  unsortedSegmentSumCpu(x, [5, 3], ids, 3, out);
  assert.deepEqual(Array.from(out), [4, 5, 6, 0, 0, 0, 1 + 7, 2 + 8, 3 + 9]);
});

test('tf.gather gradients through the registered kernel equal a scatter-add of the upstream rows', async () => {
  await initTfjsBackend();
  const table = tf.variable(
    tf.tensor2d(
      Float32Array.from({ length: 6 * 4 }, (_, k) => Math.sin(k)),
      [6, 4],
    ),
  );
  const indices = [3, 1, 3, 5, 3];
  const upstream = tf.tensor2d(
    Float32Array.from({ length: 5 * 4 }, (_, k) => k - 7),
    [5, 4],
  );
  const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(tf.gather(table, tf.tensor1d(indices, 'int32')), upstream)), [table]);
  const expected = new Float32Array(6 * 4);
  const up = upstream.dataSync();
  indices.forEach((row, s) => {
    for (let c = 0; c < 4; c++) expected[row * 4 + c] += up[s * 4 + c];
  });
  assert.deepEqual(Array.from(grads[table.name].dataSync()), Array.from(expected));
  tf.dispose([value, table, upstream, ...Object.values(grads)]);
});

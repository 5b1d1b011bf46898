import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeTensor, encodeTensor, ErrorFeedback, type SparseRows, type TensorValue } from '../src/index.js';

const ROUNDS = 60;

/**
 * Rounds of one dense update of `width` values in which value 0 is large (so the int8 scale is coarse) and
 * the others are small positive drifts below half a scale step: plain quantisation rounds them to zero in
 * every round, error feedback accumulates them until they are sent.
 */
const driftingRounds = fc
  .record({
    width: fc.integer({ min: 2, max: 12 }),
    seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
  })
  .map(({ width, seed }) => {
    let state = seed;
    const next = (): number => {
      state = (Math.imul(state, 48271) >>> 0) % 2147483647;
      return state / 2147483647;
    };
    const drift = Float32Array.from({ length: width }, () => 0.05 + 0.1 * next());
    return Array.from({ length: ROUNDS }, () => {
      const values = new Float32Array(width);
      values[0] = (next() < 0.5 ? -1 : 1) * (50 + 50 * next());
      for (let i = 1; i < width; i++) values[i] = drift[i] + 0.02 * (next() - 0.5);
      return values;
    });
  });

function sumOfDecoded(rounds: Float32Array[], feedback: ErrorFeedback | undefined): { sum: Float64Array; maxScale: number } {
  const sum = new Float64Array(rounds[0].length);
  let maxScale = 0;
  for (const values of rounds) {
    const value: TensorValue = { kind: 'dense', shape: [values.length], values };
    const encoding = { dtype: 'int8' as const };
    const message = feedback ? feedback.encode('w', value, encoding) : encodeTensor('w', value, encoding);
    maxScale = Math.max(maxScale, new Float32Array(new Uint8Array(message.scales as Uint8Array).buffer)[0]);
    const decoded = decodeTensor(message).value.values;
    for (let i = 0; i < sum.length; i++) sum[i] += decoded[i];
  }
  return { sum, maxScale };
}

test('with error feedback the sum of decoded int8 updates tracks the true sum within half a scale; without, it drifts', () => {
  fc.assert(
    fc.property(driftingRounds, (rounds) => {
      const truth = new Float64Array(rounds[0].length);
      for (const values of rounds) for (let i = 0; i < truth.length; i++) truth[i] += values[i];
      const withFeedback = sumOfDecoded(rounds, new ErrorFeedback());
      const plain = sumOfDecoded(rounds, undefined);
      for (let i = 0; i < truth.length; i++) {
        // The decoded sum differs from the true sum by exactly the last residual, at most half the last scale
        // (1e-4 covers float32 rounding accumulated over the rounds).
        const feedbackError = Math.abs(withFeedback.sum[i] - truth[i]);
        assert.ok(feedbackError <= withFeedback.maxScale / 2 + 1e-4, `value ${i}: error ${feedbackError} with feedback`);
        if (i > 0) {
          const plainError = Math.abs(plain.sum[i] - truth[i]);
          assert.ok(
            plainError >= ROUNDS * 0.04 && plainError > 5 * (withFeedback.maxScale / 2 + 1e-4),
            `value ${i}: plain error only ${plainError}`,
          );
        }
      }
    }),
    { seed: 21, numRuns: 60 },
  );
});

test('sparse error feedback keeps the residual of rows not sent and adds it when the row is sent again', () => {
  const feedback = new ErrorFeedback();
  // Rows of 4 values: narrower ones would travel as bfloat16 under per-row int8.
  const rows = (ids: number[], values: number[]): SparseRows => ({
    kind: 'sparse',
    shape: [6, 4],
    rows: Uint32Array.from(ids),
    values: Float32Array.from(values),
  });
  // Row 1 carries a value far below the row's scale step next to a large one, so it is lost to rounding.
  feedback.encode('e', rows([1, 3], [100, 0.3, 0, 0, 127, -127, 0, 0]), { dtype: 'int8', perRowScale: true });
  const residual = feedback.residual('e') as Float32Array;
  const lostInRow1 = residual[5];
  assert.ok(Math.abs(lostInRow1 - 0.3) < 1e-6, `row 1 lost ${lostInRow1}`);
  assert.deepEqual([residual[12], residual[13]], [0, 0], 'row 3 was exactly representable (scale 1)');

  feedback.encode('e', rows([3, 5], [1, 1, 0, 0, 2, 2, 0, 0]), { dtype: 'int8', perRowScale: true });
  assert.equal((feedback.residual('e') as Float32Array)[5], lostInRow1, 'row 1 was not sent, so its residual stays');

  const compensated = feedback.compensate('e', rows([1], [0, 0.4, 0, 0]));
  assert.ok(Math.abs(compensated.values[1] - 0.7) < 1e-6, 'the next update of row 1 carries what was lost');
});

test('error feedback over float32 adds the carried residual once, then has nothing left to carry', () => {
  const feedback = new ErrorFeedback();
  const value: TensorValue = { kind: 'dense', shape: [2], values: Float32Array.of(100, 0.2) };
  feedback.encode('b', value, { dtype: 'int8' });
  const carried = (feedback.residual('b') as Float32Array)[1];
  const message = feedback.encode('b', { kind: 'dense', shape: [2], values: Float32Array.of(0, 0) }, { dtype: 'float32' });
  assert.equal(decodeTensor(message).value.values[1], carried);
  assert.deepEqual([...(feedback.residual('b') as Float32Array)], [0, 0]);
});

test('error feedback rejects a tensor whose shape changed between rounds, naming it', () => {
  const feedback = new ErrorFeedback();
  feedback.encode('w', { kind: 'dense', shape: [2, 2], values: Float32Array.of(1, 2, 3, 4) }, { dtype: 'int8' });
  assert.throws(() => feedback.encode('w', { kind: 'dense', shape: [4], values: Float32Array.of(1, 2, 3, 4) }, { dtype: 'int8' }), {
    name: 'InvalidUpdateError',
    message: /tensor 'w' has shape \[4\], its carried residual \[2, 2\]/,
  });
  feedback.clear('w');
  assert.equal(feedback.residual('w'), undefined);
});

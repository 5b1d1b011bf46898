// Error feedback for lossy update encodings (Seide et al. 2014; Karimireddy et al. 2019; for top-k
// sparsification Stich et al. 2018): what quantisation or sparsification loses from one round's update is kept and added to the next round's before quantising, so that over many
// rounds the receiver's sum of updates tracks the true sum instead of drifting by every round's rounding.

import { InvalidUpdateError } from '../errors.js';
import { elementCount, rowSize, type TensorValue } from '../fl/model.js';
import type { strata } from './generated/strata.js';
import { decodeTensor, encodeTensor, encodeTensorForFrame, type TensorEncoding, writtenTensor } from './tensor-codec.js';
import { addFloat32Simd, ELEMENTWISE_STEP, subtractFloat32Simd } from './wasm-float32-elementwise.js';

interface Residual {
  readonly shape: readonly number[];
  /** One value per element of the full (dense) tensor, so sparse rows not sent keep theirs. */
  readonly values: Float32Array;
}

export class ErrorFeedback {
  private readonly residuals = new Map<string, Residual>();

  /**
   * The Tensor message for `value` with the carried residual added first; keeps the new residual (what the
   * receiver will not see: quantisation error, and with top-k the elements not sent). A lossless encoding
   * (float32, every element) sends any carried residual and clears it.
   */
  encode(name: string, value: TensorValue, encoding: TensorEncoding): strata.ITensor {
    const lossless = encoding.dtype === 'float32' && (encoding.topKFraction ?? 1) === 1;
    if (lossless && !this.residuals.has(name)) return encodeTensor(name, value, encoding);
    const sent = this.compensate(name, value);
    const message = encodeTensor(name, sent, encoding);
    this.record(name, sent, decodeTensor(message).value);
    return message;
  }

  /**
   * encode for a message written straight into a frame (encodeTensorForFrame): call `written` once the frame
   * holds it, which keeps the new residual from the payload as written.
   */
  encodeForFrame(name: string, value: TensorValue, encoding: TensorEncoding): { message: strata.ITensor; written: () => void } {
    const lossless = encoding.dtype === 'float32' && (encoding.topKFraction ?? 1) === 1;
    if (lossless && !this.residuals.has(name)) return { message: encodeTensorForFrame(name, value, encoding), written: () => {} };
    const sent = this.compensate(name, value);
    const message = encodeTensorForFrame(name, sent, encoding);
    return { message, written: () => this.record(name, sent, decodeTensor(writtenTensor(message)).value) };
  }

  /** `value` plus the residual carried for it (for sparse rows, the residual of those rows), as new arrays. */
  compensate(name: string, value: TensorValue): TensorValue {
    const residual = this.residuals.get(name);
    if (!residual) return value;
    checkSameShape(name, residual.shape, value.shape);
    if (value.kind === 'dense') {
      const values = new Float32Array(value.values.length);
      addInto(values, value.values, residual.values);
      return { kind: 'dense', shape: value.shape, values };
    }
    const values = value.values.slice();
    addRowsInto(values, residual.values, value.rows, rowSize(value.shape));
    return { ...value, values };
  }

  /** Keeps `sent - received` as the residual of the elements `sent` covers; other rows keep theirs. */
  record(name: string, sent: TensorValue, received: TensorValue): void {
    let residual = this.residuals.get(name);
    if (!residual) {
      residual = { shape: [...sent.shape], values: new Float32Array(elementCount(sent.shape)) };
      this.residuals.set(name, residual);
    }
    checkSameShape(name, residual.shape, sent.shape);
    checkSameShape(name, residual.shape, received.shape);
    if (sent.values.length !== received.values.length) {
      throw new InvalidUpdateError('shape', `tensor '${name}': sent ${sent.values.length} values, received ${received.values.length}`);
    }
    if (sent.kind === 'dense') subtractInto(residual.values, sent.values, received.values);
    else subtractRowsInto(residual.values, sent.values, received.values, sent.rows, rowSize(sent.shape));
  }

  /** The residual carried for `name` (full shape), or undefined when nothing has been lost. */
  residual(name: string): Float32Array | undefined {
    return this.residuals.get(name)?.values;
  }

  /** Forgets the residual of one tensor, or of all (when the model they were measured against is replaced). */
  clear(name?: string): void {
    if (name === undefined) this.residuals.clear();
    else this.residuals.delete(name);
  }
}

// One loop a function: V8 compiles a long loop on stack replacement, and a function holding several leaves
// that code on every call for the loop it has not run yet (as in top-k-selection.ts). With both the dense and
// the sparse loops in compensate and record, error feedback on a 4M-value float16 update took 44-94 ms a
// round besides the codec's 5 (a throwaway timing of encodeUpdateFrame with and without it).

/** out[i] = a[i] + b[i] (float32, as `a[i] += b[i]` rounds): the SIMD kernel, the last few values here. */
function addInto(out: Float32Array, a: Float32Array, b: Float32Array): void {
  const simdCount = out.length - (out.length % ELEMENTWISE_STEP);
  if (simdCount > 0) addFloat32Simd(out, a, b, simdCount);
  for (let i = simdCount; i < out.length; i++) out[i] = a[i] + b[i];
}

/** out[i] = a[i] - b[i]: the SIMD kernel, the last few values here. */
function subtractInto(out: Float32Array, a: Float32Array, b: Float32Array): void {
  const simdCount = out.length - (out.length % ELEMENTWISE_STEP);
  if (simdCount > 0) subtractFloat32Simd(out, a, b, simdCount);
  for (let i = simdCount; i < out.length; i++) out[i] = a[i] - b[i];
}

/** Adds to row i of `values` (`width` wide) the full tensor's row rows[i] of `full`. */
function addRowsInto(values: Float32Array, full: Float32Array, rows: Uint32Array, width: number): void {
  for (let i = 0; i < rows.length; i++) {
    const from = rows[i] * width;
    const to = i * width;
    for (let j = 0; j < width; j++) values[to + j] += full[from + j];
  }
}

/** Sets the full tensor's row rows[i] of `full` to row i of `a` minus row i of `b`. */
function subtractRowsInto(full: Float32Array, a: Float32Array, b: Float32Array, rows: Uint32Array, width: number): void {
  for (let i = 0; i < rows.length; i++) {
    const to = rows[i] * width;
    const from = i * width;
    for (let j = 0; j < width; j++) full[to + j] = a[from + j] - b[from + j];
  }
}

function checkSameShape(name: string, expected: readonly number[], actual: readonly number[]): void {
  if (expected.length !== actual.length || expected.some((d, i) => d !== actual[i])) {
    throw new InvalidUpdateError(
      'shape',
      `tensor '${name}' has shape [${actual.join(', ')}], its carried residual [${expected.join(', ')}]`,
    );
  }
}

// Error feedback for lossy update encodings (Seide et al. 2014; Karimireddy et al. 2019; for top-k
// sparsification Stich et al. 2018): what quantisation or sparsification loses from one round's update is kept and added to the next round's before quantising, so that over many
// rounds the receiver's sum of updates tracks the true sum instead of drifting by every round's rounding.

import { InvalidUpdateError } from '../errors.js';
import { elementCount, rowSize, type TensorValue } from '../fl/model.js';
import type { strata } from './generated/strata.js';
import { decodeTensor, encodeTensor, encodeTensorForFrame, type TensorEncoding, writtenTensor } from './tensor-codec.js';

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
    const values = value.values.slice();
    const r = residual.values;
    if (value.kind === 'dense') {
      for (let i = 0; i < values.length; i++) values[i] += r[i];
      return { kind: 'dense', shape: value.shape, values };
    }
    const width = rowSize(value.shape);
    for (let i = 0; i < value.rows.length; i++) {
      const from = value.rows[i] * width;
      const to = i * width;
      for (let j = 0; j < width; j++) values[to + j] += r[from + j];
    }
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
    const r = residual.values;
    if (sent.kind === 'dense') {
      for (let i = 0; i < r.length; i++) r[i] = sent.values[i] - received.values[i];
      return;
    }
    const width = rowSize(sent.shape);
    for (let i = 0; i < sent.rows.length; i++) {
      const to = sent.rows[i] * width;
      const from = i * width;
      for (let j = 0; j < width; j++) r[to + j] = sent.values[from + j] - received.values[from + j];
    }
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

function checkSameShape(name: string, expected: readonly number[], actual: readonly number[]): void {
  if (expected.length !== actual.length || expected.some((d, i) => d !== actual[i])) {
    throw new InvalidUpdateError(
      'shape',
      `tensor '${name}' has shape [${actual.join(', ')}], its carried residual [${expected.join(', ')}]`,
    );
  }
}

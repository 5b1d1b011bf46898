// Where one thread's backward pass accumulates: one gradient row per grid point, [density, SH coefficients]
// contiguous (so the optimizer step that follows reads one memory stream per point, not two: at 128^3 that
// step is bound by memory latency), a byte per grid point saying the point was touched (so the sparse
// optimizer step and a device's upload visit only those), and optionally each point's observation weight
// (how visible the samples that touched it were).

export interface GradientBuffers {
  /** Floats per point in `values`: 1 (density) + the SH channels. */
  readonly stride: number;
  /** Per point: d loss / d raw density, then d loss / d SH coefficient for each channel. */
  readonly values: Float32Array;
  readonly touched: Uint8Array;
  /** Sum over samples of trilinear weight x transmittance; null when not needed. */
  readonly visibility: Float32Array | null;
}

export function createGradientBuffers(points: number, channels: number, withVisibility: boolean, shared = false): GradientBuffers {
  const floats = (n: number): Float32Array => (shared ? new Float32Array(new SharedArrayBuffer(n * 4)) : new Float32Array(n));
  return {
    stride: 1 + channels,
    values: floats(points * (1 + channels)),
    touched: shared ? new Uint8Array(new SharedArrayBuffer(points)) : new Uint8Array(points),
    visibility: withVisibility ? floats(points) : null,
  };
}

/** The density gradient of every point (a copy), for inspection and tests. */
export function densityGradients(grads: GradientBuffers): Float32Array {
  const n = grads.touched.length;
  const out = new Float32Array(n);
  for (let v = 0; v < n; v++) out[v] = grads.values[v * grads.stride];
  return out;
}

/** The SH gradients, `stride - 1` per point (a copy), for inspection and tests. */
export function shGradients(grads: GradientBuffers): Float32Array {
  const n = grads.touched.length,
    c = grads.stride - 1;
  const out = new Float32Array(n * c);
  for (let v = 0; v < n; v++) out.set(grads.values.subarray(v * grads.stride + 1, (v + 1) * grads.stride), v * c);
  return out;
}

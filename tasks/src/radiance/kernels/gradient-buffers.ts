// Where one thread's backward pass accumulates: dense gradient arrays for the density and SH grids, a byte
// per grid point saying the point was touched (so the sparse optimizer step and a device's upload visit only
// those), and optionally each point's observation weight (how visible the samples that touched it were).

export interface GradientBuffers {
  readonly density: Float32Array;
  readonly sh: Float32Array;
  readonly touched: Uint8Array;
  /** Sum over samples of trilinear weight x transmittance; null when not needed. */
  readonly visibility: Float32Array | null;
}

export function createGradientBuffers(
  points: number,
  channels: number,
  withVisibility: boolean,
  shared = false,
): GradientBuffers {
  const floats = (n: number): Float32Array =>
    shared ? new Float32Array(new SharedArrayBuffer(n * 4)) : new Float32Array(n);
  return {
    density: floats(points),
    sh: floats(points * channels),
    touched: shared ? new Uint8Array(new SharedArrayBuffer(points)) : new Uint8Array(points),
    visibility: withVisibility ? floats(points) : null,
  };
}

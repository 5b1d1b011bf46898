// A set of rays with their target colours, flat in Float32Arrays (3 floats per ray each) so that worker
// threads can share them through SharedArrayBuffers.

export interface RaySet {
  readonly count: number;
  /** Ray origins, xyz per ray. */
  readonly origins: Float32Array;
  /** Unit ray directions, xyz per ray. */
  readonly dirs: Float32Array;
  /** Target colours in [0, 1], rgb per ray (composited on the background). */
  readonly colors: Float32Array;
}

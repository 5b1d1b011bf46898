// Where a voxel grid sits in the world: an axis-aligned box and the number of grid points along each axis.
// Values live on grid points (corners); a sample is trilinearly interpolated from the 8 points around it.

import { ConfigError } from '@strata/shared';

export type Vec3 = readonly [number, number, number];

/** An axis-aligned bounding box in world units. */
export interface Aabb {
  readonly min: Vec3;
  readonly max: Vec3;
}

/** The grid points span `bbox` exactly: point (i, j, k) is at min + (i, j, k) * (max - min) / (dims - 1). */
export interface GridGeometry {
  readonly dims: Vec3;
  readonly bbox: Aabb;
}

/** Number of grid points (the row count of every grid tensor). */
export function gridPointCount(geometry: GridGeometry): number {
  return geometry.dims[0] * geometry.dims[1] * geometry.dims[2];
}

/** Distance between neighbouring grid points along each axis. */
export function gridSpacing(geometry: GridGeometry): Vec3 {
  const { dims, bbox } = geometry;
  return [
    (bbox.max[0] - bbox.min[0]) / (dims[0] - 1),
    (bbox.max[1] - bbox.min[1]) / (dims[1] - 1),
    (bbox.max[2] - bbox.min[2]) / (dims[2] - 1),
  ];
}

/** The geometric mean of the spacings: the grid's voxel size for step lengths. */
export function meanVoxelSize(geometry: GridGeometry): number {
  const [a, b, c] = gridSpacing(geometry);
  return Math.cbrt(a * b * c);
}

export function validateAabb(bbox: Aabb, what: string): void {
  for (let a = 0; a < 3; a++) {
    if (!Number.isFinite(bbox.min[a]) || !Number.isFinite(bbox.max[a]) || !(bbox.max[a] > bbox.min[a])) {
      throw new ConfigError(`${what}: bounding box axis ${a} is [${bbox.min[a]}, ${bbox.max[a]}]; need finite min < max`);
    }
  }
}

/**
 * A grid over `bbox` with about `pointCount` points and (nearly) cubic voxels, as DVGO sizes its grids from
 * a voxel budget rather than a per-axis resolution, so a tight box gets finer voxels for the same memory.
 */
export function geometryForPointCount(bbox: Aabb, pointCount: number): GridGeometry {
  validateAabb(bbox, 'grid geometry');
  if (!(pointCount >= 8)) throw new ConfigError(`grid geometry: point count ${pointCount} must be >= 8`);
  const ext = [0, 1, 2].map((a) => bbox.max[a] - bbox.min[a]);
  const size = Math.cbrt((ext[0] * ext[1] * ext[2]) / pointCount);
  const dims = ext.map((e) => Math.max(2, Math.round(e / size) + 1)) as unknown as Vec3;
  return { dims, bbox: { min: [...bbox.min] as unknown as Vec3, max: [...bbox.max] as unknown as Vec3 } };
}

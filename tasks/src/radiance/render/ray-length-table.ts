// Per pixel of a pinhole camera, the length of its ray's direction at unit camera depth, sqrt(1 + xn^2 + yn^2)
// (xn, yn: the pixel centre's normalised image coordinates): what turns a camera-z depth into a distance along
// the unit ray. A view renderer asks for the same intrinsics every frame, so the last table is kept and
// reused while they stay the same (one sqrt per pixel a frame saved; the values are the same sqrts).

import type { Camera } from '../data/camera.js';

export class RayLengthTable {
  private key = '';
  private lengths = new Float64Array(0);

  /** The table for `camera`'s intrinsics, row by row (width x height); recomputed only when they change. */
  for(camera: Camera): Float64Array {
    const { width, height } = camera;
    const fx = camera.focal,
      fy = camera.focalY ?? camera.focal;
    const cx = camera.cx ?? width / 2,
      cy = camera.cy ?? height / 2;
    const key = `${width} ${height} ${fx} ${fy} ${cx} ${cy}`;
    if (key === this.key) return this.lengths;
    const lengths = new Float64Array(width * height);
    for (let y = 0; y < height; y++) {
      const yn = (y + 0.5 - cy) / fy;
      for (let x = 0; x < width; x++) {
        const xn = (x + 0.5 - cx) / fx;
        lengths[y * width + x] = Math.sqrt(1 + xn * xn + yn * yn);
      }
    }
    this.key = key;
    this.lengths = lengths;
    return lengths;
  }
}

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom } from '@strata/shared';
import {
  RayMarchKernel,
  VoxelGrid,
  computeOccupancy,
  fastExp,
  fastLog1pUnit,
  createGradientBuffers,
  densityGradients,
  shGradients,
  densityShiftForAlpha,
  type MarchSettings,
  type RaySet,
} from '../src/radiance/index.js';

const settings = (overrides: Partial<MarchSettings> = {}): MarchSettings => ({
  near: 0.5,
  far: 8,
  stepRatio: 0.7,
  background: [1, 1, 1],
  densityShift: densityShiftForAlpha(0.05),
  densityUnit: 0.4,
  terminationT: 0,
  weightThreshold: 0,
  occupancyAlpha: 0,
  ...overrides,
});

/** A small grid with random raw values and rays from outside the box aimed at random points inside. */
function fixture(shDegree: number, seed: number): { grid: VoxelGrid; rays: RaySet } {
  const rng = new SeededRandom(seed);
  const grid = VoxelGrid.create({ dims: [5, 4, 6], bbox: { min: [-1, -1, -1], max: [1, 1, 1] } }, shDegree);
  for (let i = 0; i < grid.density.length; i++) grid.density[i] = -1 + 3 * rng.next();
  for (let i = 0; i < grid.sh.length; i++) grid.sh[i] = rng.normal();
  const count = 12;
  const origins = new Float32Array(3 * count),
    dirs = new Float32Array(3 * count),
    colors = new Float32Array(3 * count);
  for (let r = 0; r < count; r++) {
    const az = rng.next() * 2 * Math.PI,
      el = (rng.next() - 0.5) * 2;
    const o = [3 * Math.cos(el) * Math.cos(az), 3 * Math.cos(el) * Math.sin(az), 3 * Math.sin(el)];
    const target = [rng.next() - 0.5, rng.next() - 0.5, rng.next() - 0.5];
    const d = target.map((t, a) => t - o[a]);
    const len = Math.hypot(d[0], d[1], d[2]);
    for (let a = 0; a < 3; a++) {
      origins[3 * r + a] = o[a];
      dirs[3 * r + a] = d[a] / len;
      colors[3 * r + a] = rng.next();
    }
  }
  return { grid, rays: { count, origins, dirs, colors } };
}

function loss(kernel: RayMarchKernel, grid: VoxelGrid, rays: RaySet): number {
  const grads = createGradientBuffers(grid.pointCount, grid.channels, false);
  const indices = Uint32Array.from({ length: rays.count }, (_, i) => i);
  return kernel.trainRays(rays, indices, 0, rays.count, null, grads, 1) / 2;
}

for (const shDegree of [0, 1, 2]) {
  test(`ray-march backward matches central finite differences (SH degree ${shDegree})`, () => {
    const { grid, rays } = fixture(shDegree, 11 + shDegree);
    const kernel = new RayMarchKernel(grid, settings());
    const grads = createGradientBuffers(grid.pointCount, grid.channels, true);
    const indices = Uint32Array.from({ length: rays.count }, (_, i) => i);
    // Loss: 0.5 * sum ||C - target||^2, so gradScale = 0.5 gives its gradient.
    kernel.trainRays(rays, indices, 0, rays.count, null, grads, 0.5);
    const check = (values: Float32Array, analytic: Float32Array, name: string): number => {
      let checked = 0;
      for (let i = 0; i < values.length; i++) {
        const saved = values[i];
        const eps = 1e-2;
        values[i] = saved + eps;
        const up = loss(kernel, grid, rays);
        values[i] = saved - eps;
        const down = loss(kernel, grid, rays);
        values[i] = saved;
        // Central differences of float32-rounded perturbations: divide by the step actually taken.
        const numeric = (up - down) / (Math.fround(saved + eps) - Math.fround(saved - eps));
        const tol = 2e-3 * Math.max(1e-3, Math.abs(numeric), Math.abs(analytic[i]));
        assert.ok(Math.abs(numeric - analytic[i]) <= tol, `${name}[${i}]: analytic ${analytic[i]} vs numeric ${numeric}`);
        if (analytic[i] !== 0) checked++;
      }
      return checked;
    };
    const gDensity = densityGradients(grads);
    const nd = check(grid.density, gDensity, 'density');
    const ns = check(grid.sh, shGradients(grads), 'sh');
    assert.ok(nd > 20 && ns > 20, `too few parameters had gradients (${nd}, ${ns})`);
    for (let v = 0; v < grid.pointCount; v++) {
      const any = gDensity[v] !== 0;
      if (any) assert.equal(grads.touched[v], 1, `point ${v} has a gradient but is not marked touched`);
      if (grads.touched[v] === 1) assert.ok(grads.visibility![v] >= 0);
    }
  });
}

test('early termination and the weight threshold keep forward and backward consistent', () => {
  const { grid, rays } = fixture(1, 5);
  const kernel = new RayMarchKernel(grid, settings({ terminationT: 0.05, weightThreshold: 1e-3 }));
  const grads = createGradientBuffers(grid.pointCount, grid.channels, false);
  const indices = Uint32Array.from({ length: rays.count }, (_, i) => i);
  kernel.trainRays(rays, indices, 0, rays.count, null, grads, 0.5);
  const gDensity = densityGradients(grads);
  let worst = 0;
  for (let i = 0; i < grid.density.length; i += 3) {
    const saved = grid.density[i];
    grid.density[i] = saved + 1e-3;
    const up = loss(kernel, grid, rays);
    grid.density[i] = saved - 1e-3;
    const down = loss(kernel, grid, rays);
    grid.density[i] = saved;
    const numeric = (up - down) / (Math.fround(saved + 1e-3) - Math.fround(saved - 1e-3));
    worst = Math.max(worst, Math.abs(numeric - gDensity[i]) / Math.max(1e-2, Math.abs(numeric)));
  }
  assert.ok(worst < 0.05, `relative gradient error ${worst}`);
});

test('a ray that misses the grid renders the background', () => {
  const { grid } = fixture(1, 2);
  const kernel = new RayMarchKernel(grid, settings({ background: [0.2, 0.4, 0.6] }));
  const rgb = new Float32Array(3);
  kernel.renderRays(new Float32Array([5, 5, 5]), new Float32Array([1, 0, 0]), 0, 1, rgb, null, null);
  assert.deepEqual(
    Array.from(rgb).map((x) => Math.round(x * 100) / 100),
    [0.2, 0.4, 0.6],
  );
});

test('empty-space skipping (cells and 8^3 blocks) renders what marching everywhere renders', () => {
  const grid = VoxelGrid.create({ dims: [40, 33, 37], bbox: { min: [-1, -1, -1], max: [1, 1, 1] } }, 1);
  const rng = new SeededRandom(9);
  const [nx, ny, nz] = grid.geometry.dims;
  // Empty space (very negative raw density) around two dense blobs.
  for (let i = 0; i < nx; i++) {
    for (let j = 0; j < ny; j++) {
      for (let k = 0; k < nz; k++) {
        const v = (i * ny + j) * nz + k;
        const a = Math.hypot(i - 12, j - 10, k - 20),
          b = Math.hypot(i - 29, j - 23, k - 11);
        grid.density[v] = Math.min(a, b) < 7.5 ? 8 + rng.next() : -30;
      }
    }
  }
  for (let i = 0; i < grid.sh.length; i++) grid.sh[i] = rng.normal();
  const s = settings({ terminationT: 1e-4, occupancyAlpha: 1e-6 });
  const plain = new RayMarchKernel(grid, s);
  const skipping = new RayMarchKernel(grid, s);
  const occupancy = computeOccupancy(grid, s);
  assert.ok(occupancy.fraction < 0.3, `occupied ${occupancy.fraction}`);
  assert.ok(occupancy.occupancy.blocks.some((b) => b === 0) && occupancy.occupancy.blocks.some((b) => b === 1));
  skipping.occupancy = occupancy.occupancy;
  const { rays } = fixture(1, 3);
  const count = 200;
  const origins = new Float32Array(3 * count),
    dirs = new Float32Array(3 * count);
  for (let r = 0; r < count; r++) {
    const src = r % rays.count;
    for (let a = 0; a < 3; a++) {
      origins[3 * r + a] = rays.origins[3 * src + a];
      dirs[3 * r + a] = rays.dirs[3 * src + a] + 0.3 * (rng.next() - 0.5);
    }
    const len = Math.hypot(dirs[3 * r], dirs[3 * r + 1], dirs[3 * r + 2]);
    for (let a = 0; a < 3; a++) dirs[3 * r + a] /= len;
  }
  const a = new Float32Array(3 * count),
    b = new Float32Array(3 * count);
  plain.renderRays(origins, dirs, 0, count, a, null, null);
  skipping.renderRays(origins, dirs, 0, count, b, null, null);
  let hits = 0;
  for (let i = 0; i < 3 * count; i++) {
    assert.ok(Math.abs(a[i] - b[i]) < 1e-4, `ray ${Math.floor(i / 3)}: ${a[i]} vs ${b[i]}`);
    if (a[i] < 0.99) hits++;
  }
  assert.ok(hits > 30, `only ${hits} channels saw a blob`);
  assert.ok(skipping.samplesComposited <= plain.samplesComposited);
});

test('fast exp and log1p agree with Math to 1e-8 relative over the ranges the kernel uses', () => {
  let worst = 0;
  for (let x = -60; x <= 60; x += 0.01237) worst = Math.max(worst, Math.abs(fastExp(x) / Math.exp(x) - 1));
  assert.ok(worst < 1e-8, `exp relative error ${worst}`);
  assert.equal(fastExp(-800), 0);
  worst = 0;
  for (let e = 0; e <= 1; e += 0.000917)
    worst = Math.max(worst, Math.abs(fastLog1pUnit(e) - Math.log1p(e)) / Math.max(1e-300, Math.log1p(e)));
  assert.ok(worst < 1e-8, `log1p relative error ${worst}`);
  assert.equal(fastLog1pUnit(0), 0);
});

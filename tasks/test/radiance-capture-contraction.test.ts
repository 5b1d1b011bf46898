import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom } from '@strata/shared';
import {
  CONTRACTED_BOX,
  RayMarchKernel,
  VoxelGrid,
  computeOccupancy,
  contractPoint,
  createGradientBuffers,
  densityGradients,
  densityShiftForAlpha,
  shGradients,
  evalShBasis,
  type MarchSettings,
  type RaySet,
  type SceneContraction,
  type Vec3,
} from '../src/radiance/index.js';

const contraction: SceneContraction = { center: [0.3, -0.2, 0.1], radius: 1.5, outer: 40 };

const settings = (overrides: Partial<MarchSettings> = {}): MarchSettings => ({
  near: 0.05,
  far: 1e4,
  stepRatio: 0.7,
  background: [0.9, 0.8, 0.7],
  densityShift: densityShiftForAlpha(0.05),
  densityUnit: 0.3,
  terminationT: 0,
  weightThreshold: 0,
  occupancyAlpha: 0,
  contraction,
  ...overrides,
});

/** Rays from inside and outside the inner box, some heading out through the shell, some crossing the box. */
function rays(seed: number, count: number): RaySet {
  const rng = new SeededRandom(seed);
  const origins = new Float32Array(3 * count),
    dirs = new Float32Array(3 * count),
    colors = new Float32Array(3 * count);
  for (let r = 0; r < count; r++) {
    const inside = r % 2 === 0;
    const offset = (a: number): number => (inside ? rng.next() - 0.5 : 2 * (rng.next() - 0.5) + (a === 0 ? 2.5 : 0));
    const o = [0, 1, 2].map((a) => contraction.center[a] + contraction.radius * offset(a));
    const d = [rng.normal(), rng.normal(), rng.normal()];
    const len = Math.hypot(d[0], d[1], d[2]);
    for (let a = 0; a < 3; a++) {
      origins[3 * r + a] = o[a];
      dirs[3 * r + a] = d[a] / len;
      colors[3 * r + a] = rng.next();
    }
  }
  return { count, origins, dirs, colors };
}

function randomGrid(dims: Vec3, seed: number, shDegree: number): VoxelGrid {
  const rng = new SeededRandom(seed);
  const grid = VoxelGrid.create({ dims, bbox: CONTRACTED_BOX }, shDegree);
  for (let i = 0; i < grid.density.length; i++) grid.density[i] = -2 + 3 * rng.next();
  for (let i = 0; i < grid.sh.length; i++) grid.sh[i] = rng.normal();
  return grid;
}

test('contracted points: identity in the inner box, continuous at its face, inside the cube of half-size 2 beyond', () => {
  const c: SceneContraction = { center: [1, 2, 3], radius: 2, outer: 1e3 };
  assert.deepEqual(contractPoint(c, [2, 2.5, 2]), [0.5, 0.25, -0.5]);
  const face = contractPoint(c, [3, 2, 3]);
  const beyond = contractPoint(c, [3 + 1e-9, 2, 3]);
  for (let a = 0; a < 3; a++) assert.ok(Math.abs(face[a] - beyond[a]) < 1e-8);
  const far = contractPoint(c, [1e6, -4e5, 3]);
  assert.ok(Math.max(...far.map(Math.abs)) < 2 && Math.max(...far.map(Math.abs)) > 1.999);
});

test('shell marching: backward matches central finite differences', () => {
  const grid = randomGrid([7, 6, 8], 4, 1);
  const set = rays(5, 10);
  const kernel = new RayMarchKernel(grid, settings());
  const grads = createGradientBuffers(grid.pointCount, grid.channels, false);
  const indices = Uint32Array.from({ length: set.count }, (_, i) => i);
  kernel.trainRays(set, indices, 0, set.count, null, grads, 0.5);
  const loss = (): number => {
    const g = createGradientBuffers(grid.pointCount, grid.channels, false);
    return kernel.trainRays(set, indices, 0, set.count, null, g, 1) / 2;
  };
  const check = (values: Float32Array, analytic: Float32Array, name: string): number => {
    let checked = 0;
    for (let i = 0; i < values.length; i += 2) {
      const saved = values[i];
      const eps = 1e-2;
      values[i] = saved + eps;
      const up = loss();
      values[i] = saved - eps;
      const down = loss();
      values[i] = saved;
      const numeric = (up - down) / (Math.fround(saved + eps) - Math.fround(saved - eps));
      const tol = 2e-3 * Math.max(1e-3, Math.abs(numeric), Math.abs(analytic[i]));
      assert.ok(Math.abs(numeric - analytic[i]) <= tol, `${name}[${i}]: analytic ${analytic[i]} vs numeric ${numeric}`);
      if (analytic[i] !== 0) checked++;
    }
    return checked;
  };
  const nd = check(grid.density, densityGradients(grads), 'density');
  const ns = check(grid.sh, shGradients(grads), 'sh');
  assert.ok(nd > 40 && ns > 40, `too few parameters had gradients (${nd}, ${ns})`);
});

/**
 * The volume-rendering integral along a ray through the contracted field, by brute force: tiny world steps,
 * each step's opacity from its contracted length, trilinear lookups written independently of the kernel.
 */
function referenceColor(grid: VoxelGrid, s: MarchSettings, o: Vec3, d: Vec3): number[] {
  const [, ny, nz] = grid.geometry.dims;
  const basis = new Float32Array(grid.basisSize);
  evalShBasis(grid.shDegree, d[0], d[1], d[2], basis);
  const lookup = (p: Vec3): { raw: number; rgb: number[] } | null => {
    const g = [0, 1, 2].map((a) => ((p[a] + 2) / 4) * (grid.geometry.dims[a] - 1));
    if (g.some((x, a) => x < 0 || x > grid.geometry.dims[a] - 1)) return null;
    const i = g.map((x, a) => Math.min(Math.floor(x), grid.geometry.dims[a] - 2));
    const f = g.map((x, a) => x - i[a]);
    let raw = 0;
    const sh = new Float64Array(grid.channels);
    for (let c = 0; c < 8; c++) {
      const b = [c >> 2, (c >> 1) & 1, c & 1];
      const wgt = b.reduce((acc, bit, a) => acc * (bit ? f[a] : 1 - f[a]), 1);
      const v = ((i[0] + b[0]) * ny + i[1] + b[1]) * nz + i[2] + b[2];
      raw += wgt * grid.density[v];
      for (let k = 0; k < grid.channels; k++) sh[k] += wgt * grid.sh[v * grid.channels + k];
    }
    const rgb = [0, 1, 2].map((ch) => {
      let x = 0;
      for (let j = 0; j < grid.basisSize; j++) x += sh[ch * grid.basisSize + j] * basis[j];
      return 1 / (1 + Math.exp(-x));
    });
    return { raw, rgb };
  };
  const c = s.contraction!;
  let T = 1;
  const acc = [0, 0, 0];
  let prev = contractPoint(c, [o[0] + s.near * d[0], o[1] + s.near * d[1], o[2] + s.near * d[2]]);
  // Geometric world steps: fine near the camera, growing far away where the contraction squeezes them.
  for (let t = s.near; t < c.radius * c.outer * 2; ) {
    const dt = Math.max(2e-4, t * 2e-4);
    const mid = t + dt / 2;
    const x: Vec3 = [o[0] + mid * d[0], o[1] + mid * d[1], o[2] + mid * d[2]];
    const u = x.map((v, a) => (v - c.center[a]) / c.radius);
    if (Math.max(...u.map(Math.abs)) > c.outer) break;
    const next = contractPoint(c, [o[0] + (t + dt) * d[0], o[1] + (t + dt) * d[1], o[2] + (t + dt) * d[2]]);
    const len = Math.hypot(next[0] - prev[0], next[1] - prev[1], next[2] - prev[2]);
    prev = next;
    t += dt;
    const sample = lookup(contractPoint(c, x));
    if (!sample) continue;
    const sigma = Math.log1p(Math.exp(sample.raw + s.densityShift));
    const alpha = 1 - Math.exp(-sigma * (len / s.densityUnit));
    for (let ch = 0; ch < 3; ch++) acc[ch] += T * alpha * sample.rgb[ch];
    T *= 1 - alpha;
  }
  return acc.map((v, ch) => v + T * s.background[ch]);
}

test('shell marching converges to the volume-rendering integral over contracted lengths', () => {
  const grid = randomGrid([9, 9, 9], 8, 1);
  // Densities that leave rays about half their transmittance for the shell and the background.
  for (let i = 0; i < grid.density.length; i++) grid.density[i] += 1;
  const s = settings({ stepRatio: 0.02 });
  const kernel = new RayMarchKernel(grid, s);
  const set = rays(9, 8);
  const rgb = new Float32Array(3 * set.count);
  kernel.renderRays(set.origins, set.dirs, 0, set.count, rgb, null, null);
  for (let r = 0; r < set.count; r++) {
    const o: Vec3 = [set.origins[3 * r], set.origins[3 * r + 1], set.origins[3 * r + 2]];
    const d: Vec3 = [set.dirs[3 * r], set.dirs[3 * r + 1], set.dirs[3 * r + 2]];
    const ref = referenceColor(grid, s, o, d);
    for (let ch = 0; ch < 3; ch++) {
      assert.ok(Math.abs(rgb[3 * r + ch] - ref[ch]) < 4e-3, `ray ${r} channel ${ch}: ${rgb[3 * r + ch]} vs ${ref[ch]}`);
    }
  }
});

test('shell marching: empty-space skipping renders what marching everywhere renders', () => {
  const grid = VoxelGrid.create({ dims: [41, 41, 41], bbox: CONTRACTED_BOX }, 1);
  const rng = new SeededRandom(3);
  // Dense blobs in the inner box and in the shell, empty elsewhere.
  for (let i = 0; i < 41; i++) {
    for (let j = 0; j < 41; j++) {
      for (let k = 0; k < 41; k++) {
        const a = Math.hypot(i - 16, j - 22, k - 20),
          b = Math.hypot(i - 36, j - 8, k - 30);
        grid.density[(i * 41 + j) * 41 + k] = Math.min(a, b) < 4.5 ? 6 + rng.next() : -30;
      }
    }
  }
  for (let i = 0; i < grid.sh.length; i++) grid.sh[i] = rng.normal();
  const s = settings({ terminationT: 1e-4, occupancyAlpha: 1e-6 });
  const plain = new RayMarchKernel(grid, s);
  const skipping = new RayMarchKernel(grid, s);
  skipping.occupancy = computeOccupancy(grid, s).occupancy;
  assert.ok(skipping.occupancy.blocks.some((b) => b === 0));
  const set = rays(21, 300);
  const a = new Float32Array(3 * set.count),
    b = new Float32Array(3 * set.count);
  plain.renderRays(set.origins, set.dirs, 0, set.count, a, null, null);
  skipping.renderRays(set.origins, set.dirs, 0, set.count, b, null, null);
  let hits = 0;
  for (let i = 0; i < 3 * set.count; i++) {
    assert.ok(Math.abs(a[i] - b[i]) < 1e-4, `ray ${Math.floor(i / 3)}: ${a[i]} vs ${b[i]}`);
    if (Math.abs(a[i] - s.background[i % 3]) > 0.01) hits++;
  }
  assert.ok(hits > 30, `only ${hits} channels saw a blob`);
  assert.ok(skipping.samplesComposited <= plain.samplesComposited);
});

test('a contracted grid inside the inner box marches as the plain grid over the world box it stands for', () => {
  const rng = new SeededRandom(12);
  const inner = { min: [-0.8, -0.5, -0.9] as Vec3, max: [0.6, 0.7, 0.4] as Vec3 };
  const dims: Vec3 = [9, 10, 8];
  const contracted = VoxelGrid.create({ dims, bbox: inner }, 1);
  for (let i = 0; i < contracted.density.length; i++) contracted.density[i] = -1 + 3 * rng.next();
  for (let i = 0; i < contracted.sh.length; i++) contracted.sh[i] = rng.normal();
  const { center, radius } = contraction;
  const toWorld = (p: Vec3): Vec3 => [0, 1, 2].map((a) => center[a] + radius * p[a]) as unknown as Vec3;
  const world = new VoxelGrid({ dims, bbox: { min: toWorld(inner.min), max: toWorld(inner.max) } }, 1, contracted.density, contracted.sh);
  const set = rays(2, 40);
  const a = new Float32Array(3 * set.count),
    b = new Float32Array(3 * set.count);
  new RayMarchKernel(contracted, settings()).renderRays(set.origins, set.dirs, 0, set.count, a, null, null);
  // The plain grid's densities are per world length: its unit is the contracted one times the radius.
  const plain = new RayMarchKernel(world, settings({ contraction: null, densityUnit: 0.3 * radius }));
  plain.renderRays(set.origins, set.dirs, 0, set.count, b, null, null);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) < 1e-5, `${i}: ${a[i]} vs ${b[i]}`);
});

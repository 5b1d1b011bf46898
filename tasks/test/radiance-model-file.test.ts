import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataError, SeededRandom } from '@strata/shared';
import {
  GridRenderer,
  VoxelGrid,
  decodeRadianceModel,
  densityShiftForAlpha,
  encodeRadianceModel,
  loadRadianceModel,
  lookAtCamera,
  saveRadianceModel,
  type MarchSettings,
} from '../src/radiance/index.js';

const settings: MarchSettings = {
  near: 2,
  far: 6,
  stepRatio: 0.5,
  background: [1, 1, 1],
  densityShift: densityShiftForAlpha(1e-4),
  densityUnit: 0.02,
  terminationT: 1e-3,
  weightThreshold: 1e-4,
  occupancyAlpha: 1e-3,
};

function randomGrid(): VoxelGrid {
  const grid = VoxelGrid.create({ dims: [9, 7, 8], bbox: { min: [-1, -1.2, -0.8], max: [1, 1, 0.9] } }, 2);
  const rng = new SeededRandom(3);
  for (let i = 0; i < grid.density.length; i++) grid.density[i] = rng.normal() * 5;
  for (let i = 0; i < grid.sh.length; i++) grid.sh[i] = rng.normal();
  return grid;
}

test('a saved model loads back bit for bit and renders the same', () => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-model-'));
  const grid = randomGrid();
  const path = join(dir, 'model.strf');
  saveRadianceModel(path, { grid, settings, meta: { scene: 'test' } });
  const loaded = loadRadianceModel(path);
  assert.deepEqual(loaded.grid.geometry, grid.geometry);
  assert.equal(loaded.grid.shDegree, 2);
  assert.deepEqual(loaded.settings, settings);
  assert.deepEqual(loaded.meta, { scene: 'test' });
  assert.deepEqual(Array.from(loaded.grid.density), Array.from(grid.density));
  assert.deepEqual(Array.from(loaded.grid.sh), Array.from(grid.sh));
  const camera = lookAtCamera([3, 2, 1], [0, 0, 0], 16, 12, 20);
  assert.deepEqual(
    Array.from(new GridRenderer(loaded.grid, loaded.settings).render(camera).rgb),
    Array.from(new GridRenderer(grid, settings).render(camera).rgb),
  );
  rmSync(dir, { recursive: true });
});

test('damaged model files fail with a DataError naming the file', () => {
  const bytes = encodeRadianceModel({ grid: randomGrid(), settings, meta: {} });
  const wrongMagic = bytes.slice();
  wrongMagic[0] ^= 0xff;
  assert.throws(
    () => decodeRadianceModel(wrongMagic, 'a.strf'),
    (e: unknown) => e instanceof DataError && /a\.strf: not a radiance model file/.test(e.message),
  );
  assert.throws(
    () => decodeRadianceModel(bytes.subarray(0, bytes.length - 100), 'b.strf'),
    (e: unknown) => e instanceof DataError && /b\.strf/.test(e.message),
  );
  assert.throws(() => decodeRadianceModel(bytes.subarray(0, 8), 'c.strf'), /c\.strf: 8 bytes is too short/);
  assert.throws(() => loadRadianceModel('/nonexistent/model.strf'), /\/nonexistent\/model\.strf: cannot read/);
  const dir = mkdtempSync(join(tmpdir(), 'strata-model-'));
  const header = JSON.stringify({ geometry: { dims: [9, 7], bbox: { min: [0, 0, 0], max: [1, 1, 1] } }, shDegree: 0, settings, meta: {} });
  const prefix = new Uint32Array([0x46525453, 1, Buffer.byteLength(header)]);
  writeFileSync(join(dir, 'd.strf'), Buffer.concat([Buffer.from(prefix.buffer), Buffer.from(header)]));
  assert.throws(() => loadRadianceModel(join(dir, 'd.strf')), /d\.strf: header geometry\.dims/);
  rmSync(dir, { recursive: true });
});

// The viewer page reads the compact model with a JavaScript brotli decoder (chromium's DecompressionStream has
// no brotli): the grid it gets must be the one Node's zlib decodes from the same file, bit for bit.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decompress as brotliDecompress } from 'brotli/decompress';
import { SeededRandom } from '@strata/shared';
import { VoxelGrid, decodeCompactRadianceModel, encodeCompactRadianceModel, type MarchSettings } from '@strata/tasks';
import { decodeCompactRadianceModelWith } from '@strata/tasks/browser';

const settings: MarchSettings = {
  near: 1,
  far: 7,
  stepRatio: 0.5,
  background: [1, 1, 1],
  densityShift: -4,
  densityUnit: 0.05,
  terminationT: 1e-3,
  weightThreshold: 1e-4,
  occupancyAlpha: 1e-3,
};

test('the browser build decodes a compact model as Node does', async () => {
  const grid = VoxelGrid.create({ dims: [12, 12, 12], bbox: { min: [-1, -1, -1], max: [1, 1, 1] } }, 1);
  const rng = new SeededRandom(17);
  for (let v = 0; v < grid.pointCount; v++) grid.density[v] = rng.next() < 0.2 ? 10 * rng.next() : -20;
  for (let i = 0; i < grid.sh.length; i++) grid.sh[i] = rng.next() - 0.5;
  const bytes = await encodeCompactRadianceModel({ grid, settings, meta: {} }, { keepAlpha: settings.occupancyAlpha });
  const node = decodeCompactRadianceModel(bytes, 'test model');
  const browser = decodeCompactRadianceModelWith(bytes, 'test model', (packed, maxLength) => brotliDecompress(packed, maxLength));
  assert.deepEqual(browser.grid.density, node.grid.density);
  assert.deepEqual(browser.grid.sh, node.grid.sh);
  assert.deepEqual(browser.settings, node.settings);
  assert.ok(
    node.grid.density.some((d) => d > 0),
    'the model holds occupied points',
  );
  // A truncated download is refused with the file named, not decoded into a partial grid.
  assert.throws(
    () =>
      decodeCompactRadianceModelWith(bytes.subarray(0, bytes.length - 40), 'test model', (packed, maxLength) =>
        brotliDecompress(packed, maxLength),
      ),
    /test model/,
  );
});

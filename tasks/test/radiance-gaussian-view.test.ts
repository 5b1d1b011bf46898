import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadSceneDataset } from '../src/radiance/data/scene-source.js';
import type { SceneDataset } from '../src/radiance/data/scene-dataset.js';
import { parseGaussianTaskOptions } from '../src/radiance/federated/gaussian-task-options.js';
import { RadianceGaussiansTask } from '../src/radiance/federated/radiance-gaussians-task.js';
import { GaussianRenderer } from '../src/radiance/render/gaussian-renderer.js';
import { cameraPose, poseCamera } from '../src/radiance/render/viewing-session-rendering.js';
import { orbitCamera } from '../src/radiance/data/camera.js';
import { decodeCompactGaussians } from '../src/radiance/io/compact-gaussian-file.js';
import { psnr } from '../src/radiance/render/image-metrics.js';
import { offersCompactModels } from '@strata/shared';

/** The task on a 24x24 procedural scene: 400 Gaussians in a scaffold of 800 rows, 2 devices. */
function smallTask(): { dataset: SceneDataset; task: RadianceGaussiansTask } {
  const dataset = loadSceneDataset({ procedural: true, res: 24, holdOutEvery: 8, contraction: 'off', seed: 3 });
  const options = parseGaussianTaskOptions(
    { procedural: true, imageRes: 24, devices: 2, initialCount: 400, capacity: 800 },
    { seed: 3, rounds: 1, imagesPerRound: 2, kappa1: 2, kappa2: 1 },
  );
  return { dataset, task: new RadianceGaussiansTask(dataset, options) };
}

test('the radiance/gaussians task renders viewing-session frames of its model (what an edge daemon serves)', async () => {
  const { dataset, task } = smallTask();
  try {
    const model = task.initModel();
    const renderer = task.frameRenderer(model);
    assert.equal(task.frameRenderer(model), renderer, 'one renderer per model');
    assert.deepEqual([renderer.near, renderer.far], [dataset.near, dataset.far]);
    await renderer.ready?.();
    const pose = cameraPose(orbitCamera(0.4, 0.3, 4, 1, 1, 1));
    const view = { width: 40, height: 32, fovXDegrees: 40, quality: 'full' as const };
    const frame = await renderer.renderFrame(pose, view);
    assert.deepEqual([frame.width, frame.height, frame.rgb.length, frame.depth.length], [40, 32, 3 * 40 * 32, 40 * 32]);
    // Full quality across the worker threads is the training renderer's image of the task's cloud.
    const reference = new GaussianRenderer(task.cloud(model), dataset.background).render(poseCamera(pose, 40, 32, 40));
    let worst = 0;
    for (let i = 0; i < frame.rgb.length; i++) worst = Math.max(worst, Math.abs(frame.rgb[i] - reference.rgb[i]));
    assert.ok(worst < 1e-6, `largest difference ${worst}`);
    // The untrained cloud fills the scene box: some pixels have a surface, at a depth inside the scene's range.
    const withDepth = [...frame.depth].filter((d) => d > 0);
    assert.ok(withDepth.length > 0, 'no pixel has a depth');
    for (const d of withDepth) assert.ok(d >= dataset.near - 1 && d <= dataset.far + 1, `depth ${d}`);
    // A newer model gets a new renderer (the old one's workers are closed).
    const newer = task.initModel();
    assert.notEqual(task.frameRenderer(newer), renderer);
  } finally {
    await task.close();
  }
});

test('the radiance/gaussians task offers its model as a compact .strg file, encoded once per model', async () => {
  const { dataset, task } = smallTask();
  assert.ok(offersCompactModels(task), 'an edge daemon serves GET /compact-model for this task');
  const model = task.initModel();
  const bytes = task.compactModel(model);
  assert.equal(task.compactModel(model), bytes, 'requests while it encodes share the one encoding');
  const { cloud, meta } = decodeCompactGaussians(await bytes, 'gaussians.strg');
  assert.deepEqual(meta, { task: task.id, near: dataset.near, far: dataset.far, background: [...dataset.background] });
  const full = task.cloud(model);
  assert.equal(cloud.count, full.count);
  const camera = orbitCamera(0.4, 0.3, 4, 40, 32, 32);
  const quality = psnr(
    new GaussianRenderer(cloud, dataset.background).render(camera).rgb,
    new GaussianRenderer(full, dataset.background).render(camera).rgb,
  );
  assert.ok(quality > 40, `the compact model renders ${quality.toFixed(2)} dB against the task's cloud`);
  assert.notEqual(task.compactModel(task.initModel()), bytes, 'a newer model is encoded anew');
});

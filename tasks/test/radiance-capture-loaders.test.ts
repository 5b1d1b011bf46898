import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataError } from '@strata/shared';
import {
  buildRaySet,
  loadSceneFolder,
  readNpy,
  writePixelRay,
  type LensDistortion,
  type LoadedScene,
  type SceneView,
  type Vec3,
  type WorldTransform,
} from '../src/radiance/index.js';
import {
  HEIGHT,
  WIDTH,
  orbitFixture,
  tempDir,
  writeColmapText,
  writeImages,
  writeNpy,
  writePosesBounds,
  writeTransformsJson,
  type CaptureFixture,
  type FixtureLens,
} from './fixtures/capture-fixtures.js';

const opencv: LensDistortion = { model: 'radial-tangential', radial: [-0.21, 0.06], radialDenominator: [], p1: 0.0021, p2: -0.0013 };
const fisheye: LensDistortion = { model: 'fisheye', coefficients: [0.04, -0.012, 0.003, -0.0005] };
const lens = (distortion: LensDistortion | null): FixtureLens => ({ fx: 118, fy: 121, cx: 82.3, cy: 58.6, distortion });

const toDataset = (world: WorldTransform, p: Vec3): Vec3 => {
  const d = [0, 1, 2].map((a) => p[a] - world.center[a]);
  const r = world.rotation;
  return [0, 1, 2].map((i) => world.scale * (r[3 * i] * d[0] + r[3 * i + 1] * d[1] + r[3 * i + 2] * d[2])) as unknown as Vec3;
};

/**
 * For every dot fully inside a loaded view and clear of the others, its centroid in the loaded image and the
 * ray the loader's camera casts through it; returns the worst distance between that ray and the dot's 3-D
 * point, in pixels (angle times focal length).
 */
function worstReprojection(scene: LoadedScene, fixture: CaptureFixture): { worst: number; dots: number } {
  let worst = 0,
    dots = 0;
  const views: SceneView[] = [...scene.dataset.train, ...scene.dataset.test];
  const origin = new Float64Array(3),
    dir = new Float64Array(3);
  views.forEach((view) => {
    const index = Number(/img_(\d+)/.exec(view.name)?.[1]);
    const truthCamera = fixture.cameras[index];
    const { width, rgb } = view.camera.width === WIDTH ? { width: WIDTH, rgb: view.rgb } : { width: 0, rgb: view.rgb };
    assert.equal(width, WIDTH);
    const projections = fixture.points.map((p) => projectTruth(truthCamera, p));
    projections.forEach((at, k) => {
      if (!at || at[0] < 6 || at[1] < 6 || at[0] > WIDTH - 6 || at[1] > HEIGHT - 6) return;
      if (projections.some((o, j) => j !== k && o && Math.hypot(o[0] - at[0], o[1] - at[1]) < 9)) return;
      let sw = 0,
        sx = 0,
        sy = 0;
      for (let y = Math.floor(at[1]) - 4; y <= Math.floor(at[1]) + 4; y++) {
        for (let x = Math.floor(at[0]) - 4; x <= Math.floor(at[0]) + 4; x++) {
          const v = Math.max(0, rgb[3 * (y * width + x)] - 0.2);
          sw += v;
          sx += v * (x + 0.5);
          sy += v * (y + 0.5);
        }
      }
      writePixelRay(view.camera, sx / sw, sy / sw, origin, dir, 0);
      const p = toDataset(scene.world, fixture.points[k]);
      const to = [p[0] - origin[0], p[1] - origin[1], p[2] - origin[2]];
      const len = Math.hypot(to[0], to[1], to[2]);
      const cos = (to[0] * dir[0] + to[1] * dir[1] + to[2] * dir[2]) / len;
      worst = Math.max(worst, Math.acos(Math.min(1, cos)) * view.camera.focal);
      dots++;
    });
  });
  return { worst, dots };
}

const projectTruth = (camera: CaptureFixture['cameras'][number], p: Vec3): [number, number] | null => {
  const m = camera.c2w;
  const r = [p[0] - m[3], p[1] - m[7], p[2] - m[11]];
  const X = m[0] * r[0] + m[4] * r[1] + m[8] * r[2];
  const Y = -(m[1] * r[0] + m[5] * r[1] + m[9] * r[2]),
    Z = -(m[2] * r[0] + m[6] * r[1] + m[10] * r[2]);
  if (!(Z > 0)) return null;
  const out = new Float64Array(2);
  const d = camera.distortion;
  if (d && d.model === 'radial-tangential') {
    const x = X / Z,
      y = Y / Z,
      r2 = x * x + y * y,
      k = 1 + d.radial[0] * r2 + d.radial[1] * r2 * r2;
    out[0] = x * k + 2 * d.p1 * x * y + d.p2 * (r2 + 2 * x * x);
    out[1] = y * k + d.p1 * (r2 + 2 * y * y) + 2 * d.p2 * x * y;
  } else if (d && d.model === 'fisheye') {
    const th = Math.atan2(Math.hypot(X, Y), Z),
      t2 = th * th,
      c = d.coefficients;
    const s = (th * (1 + t2 * (c[0] + t2 * (c[1] + t2 * (c[2] + t2 * c[3]))))) / Math.hypot(X, Y);
    out[0] = X * s;
    out[1] = Y * s;
  } else {
    out[0] = X / Z;
    out[1] = Y / Z;
  }
  return [out[0] * camera.focal + (camera.cx ?? 0), out[1] * (camera.focalY ?? camera.focal) + (camera.cy ?? 0)];
};

test('an OPENCV capture (transforms.json) is undistorted: rays through the dots pass within 0.1 px of their points', (t) => {
  const fixture = orbitFixture(10, lens(opencv));
  const dir = tempDir();
  const names = writeImages(dir, fixture);
  writeTransformsJson(dir, fixture, names, { camera_model: 'OPENCV', k1: -0.21, k2: 0.06, p1: 0.0021, p2: -0.0013 });
  const scene = loadSceneFolder(dir, { resolution: WIDTH, cacheDir: null });
  assert.match(scene.description, /nerfstudio transforms\.json/);
  assert.match(scene.description, /radial-tangential lens/);
  const { worst, dots } = worstReprojection(scene, fixture);
  assert.ok(dots >= 40, `only ${dots} dots checked`);
  assert.ok(worst < 0.1, `worst reprojection ${worst.toFixed(3)} px`);
  t.diagnostic(`OPENCV: worst reprojection ${worst.toFixed(4)} px over ${dots} dots`);
  // Ignoring the distortion misses by pixels: the check can fail.
  writeTransformsJson(dir, fixture, names, { camera_model: 'PINHOLE' });
  const pinhole = worstReprojection(loadSceneFolder(dir, { resolution: WIDTH, cacheDir: null }), fixture);
  assert.ok(pinhole.worst > 1, `a pinhole reading misses by only ${pinhole.worst.toFixed(3)} px`);
  rmSync(dir, { recursive: true });
});

test('an OPENCV_FISHEYE capture is undistorted to within 0.1 px', (t) => {
  const fixture = orbitFixture(8, lens(fisheye), 2);
  const dir = tempDir();
  const names = writeImages(dir, fixture);
  writeTransformsJson(dir, fixture, names, { camera_model: 'OPENCV_FISHEYE', k1: 0.04, k2: -0.012, k3: 0.003, k4: -0.0005 });
  const { worst, dots } = worstReprojection(loadSceneFolder(dir, { resolution: WIDTH, cacheDir: null }), fixture);
  assert.ok(dots >= 20 && worst < 0.1, `worst reprojection ${worst.toFixed(3)} px over ${dots} dots`);
  t.diagnostic(`OPENCV_FISHEYE: worst reprojection ${worst.toFixed(4)} px over ${dots} dots`);
  rmSync(dir, { recursive: true });
});

function sameRays(a: LoadedScene, b: LoadedScene, tolerance: number): void {
  const ra = buildRaySet([...a.dataset.train, ...a.dataset.test]),
    rb = buildRaySet([...b.dataset.train, ...b.dataset.test]);
  assert.equal(ra.count, rb.count);
  let worst = 0;
  for (let i = 0; i < 3 * ra.count; i++) {
    worst = Math.max(worst, Math.abs(ra.origins[i] - rb.origins[i]), Math.abs(ra.dirs[i] - rb.dirs[i]));
    assert.equal(ra.colors[i], rb.colors[i]);
  }
  assert.ok(worst < tolerance, `rays differ by ${worst}`);
}

test('COLMAP and nerfstudio descriptions of the same OPENCV cameras load to the same rays', () => {
  const fixture = orbitFixture(9, lens(opencv), 3);
  const a = tempDir(),
    b = tempDir();
  const names = writeImages(a, fixture);
  writeImages(b, fixture);
  writeTransformsJson(a, fixture, names, { camera_model: 'OPENCV', k1: -0.21, k2: 0.06, p1: 0.0021, p2: -0.0013 });
  writeColmapText(b, fixture, names, 'OPENCV', [118, 121, 82.3, 58.6, -0.21, 0.06, 0.0021, -0.0013]);
  const colmap = loadSceneFolder(b, { resolution: 80, cacheDir: null });
  assert.match(colmap.description, /COLMAP text model .*14 sparse points/);
  sameRays(loadSceneFolder(a, { resolution: 80, cacheDir: null }), colmap, 1e-5);
  rmSync(a, { recursive: true });
  rmSync(b, { recursive: true });
});

test('LLFF and COLMAP descriptions of the same pinhole cameras load to the same rays', () => {
  const fixture = orbitFixture(9, { fx: 118, fy: 118, cx: WIDTH / 2, cy: HEIGHT / 2, distortion: null }, 4);
  const a = tempDir(),
    b = tempDir();
  const names = writeImages(a, fixture);
  writeImages(b, fixture);
  writePosesBounds(a, fixture);
  writeColmapText(b, fixture, names, 'PINHOLE', [118, 118, WIDTH / 2, HEIGHT / 2]);
  const llff = loadSceneFolder(a, { resolution: 80, cacheDir: null });
  const colmap = loadSceneFolder(b, { resolution: 80, cacheDir: null });
  assert.match(llff.description, /LLFF poses_bounds\.npy/);
  assert.equal(llff.dataset.test.length, 2);
  assert.deepEqual(
    llff.dataset.test.map((v) => v.name),
    ['images/img_00.png', 'images/img_08.png'],
  );
  sameRays(llff, colmap, 1e-5);
  // Both normalise the world alike: z up, the cameras 4 units from the origin on average.
  const views = [...colmap.dataset.train, ...colmap.dataset.test];
  const distances = views.map((v) => Math.hypot(v.camera.c2w[3], v.camera.c2w[7], v.camera.c2w[11]));
  assert.ok(Math.abs(distances.reduce((s, d) => s + d, 0) / distances.length - 4) < 1e-9);
  rmSync(a, { recursive: true });
  rmSync(b, { recursive: true });
});

test('instant-ngp conventions: aabb_scale crops a contracted scene, aabb_scale 1 is the bounded Blender box', () => {
  const fixture = orbitFixture(6, lens(null), 5);
  const dir = tempDir();
  const names = writeImages(dir, fixture);
  // Cameras about 2.8 from (2, -1, 0.5): inside an ngp region of scale 0.1 (half-size 5) around the origin.
  writeTransformsJson(dir, fixture, names, {}, { aabb_scale: 16, scale: 0.1 });
  const cropped = loadSceneFolder(dir, { resolution: 40, cacheDir: null });
  assert.match(cropped.description, /instant-ngp/);
  assert.deepEqual(cropped.dataset.contraction, { center: [0, 0, 0], radius: 5, outer: 16 });
  writeTransformsJson(dir, fixture, names, {}, { aabb_scale: 1, scale: 0.1 });
  const bounded = loadSceneFolder(dir, { resolution: 40, cacheDir: null });
  assert.equal(bounded.dataset.contraction, null);
  assert.deepEqual(bounded.dataset.bbox, { min: [-5, -5, -5], max: [5, 5, 5] });
  // Forced on, the same scene contracts beyond that box.
  assert.equal(loadSceneFolder(dir, { resolution: 40, cacheDir: null, contraction: 'on' }).dataset.contraction?.radius, 5);
  rmSync(dir, { recursive: true });
});

test("nerfstudio's test_filenames choose the held-out views; images of any aspect ratio keep it", () => {
  const fixture = orbitFixture(6, lens(null), 6);
  const dir = tempDir();
  const names = writeImages(dir, fixture);
  writeTransformsJson(dir, fixture, names, {}, { test_filenames: ['images/img_02.png', 'images/img_05.png'] });
  const scene = loadSceneFolder(dir, { resolution: 40, cacheDir: null });
  assert.deepEqual(
    scene.dataset.test.map((v) => v.name),
    ['images/img_02.png', 'images/img_05.png'],
  );
  assert.equal(scene.dataset.train.length, 4);
  assert.equal(scene.dataset.train[0].camera.height, 30);
  rmSync(dir, { recursive: true });
});

/** Asserts `load` fails with a DataError whose message matches every pattern. */
function failsWith(load: () => unknown, ...patterns: RegExp[]): void {
  assert.throws(load, (e: unknown) => {
    assert.ok(e instanceof DataError, `not a DataError: ${String(e)}`);
    for (const p of patterns) assert.match(e.message, p);
    return true;
  });
}

test('bad captures fail naming the file and the field', () => {
  const fixture = orbitFixture(4, lens(null), 7);
  const dir = tempDir();
  const names = writeImages(dir, fixture);
  type Transforms = { frames: { file_path: string; transform_matrix: unknown[][] }[]; [k: string]: unknown };
  const transforms = (edit: (json: Transforms) => void): void => {
    writeTransformsJson(dir, fixture, names, {});
    const json = JSON.parse(readFileSync(join(dir, 'transforms.json'), 'utf8'));
    edit(json);
    writeFileSync(join(dir, 'transforms.json'), JSON.stringify(json).replace('"NaN"', 'NaN'));
  };
  const load = (): unknown => loadSceneFolder(dir, { resolution: 40, cacheDir: null });
  transforms((j) => (j.frames[2].file_path = 'images/missing.png'));
  failsWith(load, /transforms\.json: frames\[2\]\.file_path 'images\/missing\.png'/, /not found/);
  transforms((j) => (j.frames[1].transform_matrix[0][3] = 'NaN'));
  failsWith(load, /transforms\.json: frames\[1\]\.transform_matrix\[0\]\[3\] is NaN/);
  transforms(
    (j) =>
      (j.frames[3].transform_matrix = [
        [0, 0, 0, 1],
        [0, 0, 0, 2],
        [0, 0, 0, 3],
        [0, 0, 0, 1],
      ]),
  );
  failsWith(load, /frames\[3\]: pose rotation is not invertible/);
  transforms((j) => (j.w = 200));
  failsWith(load, /frames\[0\]: image .*img_00\.png is 160x120, the intrinsics say 200x120/);
  transforms((j) => (j.camera_model = 'EQUIRECTANGULAR'));
  failsWith(load, /frames\[0\]: camera_model "EQUIRECTANGULAR" is not supported/);
  unlinkSync(join(dir, 'transforms.json'));

  writeColmapText(dir, fixture, names, 'FOV', [100, 100, 80, 60, 0.5]);
  failsWith(load, /sparse\/0\/cameras\.txt:2: camera 1: camera model 'FOV' is not supported/);
  writeColmapText(dir, fixture, names, 'PINHOLE', [118, 118, 80, 60]);
  const images = join(dir, 'sparse', '0', 'images.txt');
  writeFileSync(images, readFileSync(images, 'utf8').replace(/ 1 img_01\.png/, ' 7 img_01.png'));
  failsWith(load, /images\.txt:4: CAMERA_ID 7 is not in .*cameras\.txt \(it has 1\)/);
  rmSync(join(dir, 'sparse'), { recursive: true });

  writePosesBounds(dir, fixture);
  const npy = readNpy(join(dir, 'poses_bounds.npy'));
  const rows = Array.from({ length: npy.shape[0] }, (_, i) => Array.from(npy.data.subarray(17 * i, 17 * i + 17)));
  writeNpy(join(dir, 'poses_bounds.npy'), rows.slice(0, 3));
  failsWith(load, /poses_bounds\.npy: 3 poses for 4 images/);
  rows[1][3] = Number.NaN;
  writeNpy(join(dir, 'poses_bounds.npy'), rows);
  failsWith(load, /poses_bounds\.npy: row 1 \(img_01\.png\): pose element \[0\]\[3\] is NaN/);
  unlinkSync(join(dir, 'poses_bounds.npy'));

  mkdirSync(join(dir, 'empty'));
  failsWith(() => loadSceneFolder(join(dir, 'empty')), /no scene found: looked for transforms\.json/);
  rmSync(dir, { recursive: true });
});

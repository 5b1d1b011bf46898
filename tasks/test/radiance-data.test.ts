import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { DataError } from '@strata/shared';
import {
  ProceduralScene,
  blenderSceneDir,
  cameraAzimuth,
  holdOutEvery,
  loadBlenderScene,
  parseTransforms,
  resampleRgbaOnto,
  writeCameraRays,
} from '../src/radiance/index.js';

const lego = blenderSceneDir('lego');
const identity = [
  [1, 0, 0, 0],
  [0, 1, 0, 0],
  [0, 0, 1, 4],
  [0, 0, 0, 1],
];

/** A scene folder whose transforms file lists the given frames (paths relative to the folder). */
function sceneDir(frames: unknown[], extra: Record<string, unknown> = { camera_angle_x: 0.6911112070083618 }): string {
  const dir = mkdtempSync(join(tmpdir(), 'strata-radiance-'));
  writeFileSync(join(dir, 'transforms_train.json'), JSON.stringify({ ...extra, frames }));
  return dir;
}

const legoFrame = (i: number, dir: string): { file_path: string; transform_matrix: number[][] } => ({
  file_path: relative(dir, join(lego, 'train', `r_${i}`)),
  transform_matrix: identity,
});

test('the Blender loader reads real lego frames, box-filters them to the requested width and caches them', () => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-radiance-'));
  const frames = [0, 1, 2].map((i) => legoFrame(i, dir));
  writeFileSync(join(dir, 'transforms_train.json'), JSON.stringify({ camera_angle_x: 0.6911112070083618, frames }));
  const cacheDir = join(dir, 'cache');
  const scene = loadBlenderScene(dir, { resolution: 40, holdOutEvery: 2, cacheDir });
  assert.equal(scene.train.length + scene.test.length, 3);
  assert.deepEqual(
    scene.test.map((v) => v.name),
    [frames[0].file_path, frames[2].file_path],
  );
  const view = scene.train[0];
  assert.equal(view.camera.width, 40);
  assert.equal(view.camera.height, 40);
  assert.ok(Math.abs(view.camera.focal - (0.5 * 40) / Math.tan(0.5 * 0.6911112070083618)) < 1e-9);
  // Corners of a lego render are transparent, so white after compositing; the centre is the model.
  assert.deepEqual(Array.from(view.rgb.subarray(0, 3)), [1, 1, 1]);
  let dark = 0;
  for (let p = 0; p < 40 * 40; p++) if (view.rgb[3 * p] + view.rgb[3 * p + 1] + view.rgb[3 * p + 2] < 2.5) dark++;
  assert.ok(dark > 100, `only ${dark} non-white pixels`);
  assert.equal(readdirSync(cacheDir).filter((f) => f.endsWith('.bin')).length, 1);
  const again = loadBlenderScene(dir, { resolution: 40, holdOutEvery: 2, cacheDir });
  assert.deepEqual(Array.from(again.train[0].rgb), Array.from(view.rgb));
  rmSync(dir, { recursive: true });
});

test('the lego scene holds out every 8th of its 100 views', { skip: !existsSync(lego) }, () => {
  const { fovX, frames } = parseTransforms(readFileSync(join(lego, 'transforms_train.json'), 'utf8'), 'transforms_train.json');
  assert.ok(fovX > 0.6 && fovX < 0.8);
  const split = holdOutEvery(frames, 8);
  assert.equal(split.test.length, 13);
  assert.equal(split.train.length, 87);
});

test('box filtering uses premultiplied alpha: transparent colour does not bleed into an edge', () => {
  // 2x1 image: a fully transparent pure red pixel beside an opaque blue one, filtered to 1x1 onto white.
  const rgba = new Uint8Array([255, 0, 0, 0, 0, 0, 255, 255]);
  const rgb = resampleRgbaOnto(rgba, 2, 1, 1, 1, [1, 1, 1]);
  // Half blue coverage, half white background; no red.
  assert.deepEqual(
    Array.from(rgb).map((x) => Math.round(x * 1000) / 1000),
    [0.5, 0.5, 1],
  );
  // A non-integer factor keeps the mean: 3 grey pixels to 2.
  const grey = new Uint8Array([51, 51, 51, 255, 51, 51, 51, 255, 51, 51, 51, 255]);
  const out = resampleRgbaOnto(grey, 3, 1, 2, 1, [1, 1, 1]);
  for (const v of out) assert.ok(Math.abs(v - 0.2) < 1e-6);
});

test('a missing image fails naming the transforms file, the frame and the image path', () => {
  const dir = sceneDir([{ file_path: './train/none', transform_matrix: identity }]);
  assert.throws(
    () => loadBlenderScene(dir, { cacheDir: null }),
    (e: unknown) =>
      e instanceof DataError &&
      /transforms_train\.json/.test(e.message) &&
      /frames\[0\]\.file_path/.test(e.message) &&
      /none\.png/.test(e.message),
  );
  rmSync(dir, { recursive: true });
});

test('malformed transforms files fail naming the file and the field', () => {
  const cases: [string, RegExp][] = [
    ['{ not json', /transforms_train\.json: not valid JSON/],
    [JSON.stringify({ frames: [] }), /transforms_train\.json: camera_angle_x/],
    [JSON.stringify({ camera_angle_x: 0.7, frames: [{ file_path: 'a', transform_matrix: [[1, 0, 0]] }] }), /frames\[0\]\.transform_matrix/],
    [JSON.stringify({ camera_angle_x: 0.7, frames: [{ transform_matrix: identity }] }), /frames\[0\]\.file_path/],
    // Python's json writes NaN as a bare word.
    [
      '{"camera_angle_x": 0.7, "frames": [{"file_path": "a", "transform_matrix": [[1,0,0,0],[0,1,NaN,0],[0,0,1,4],[0,0,0,1]]}]}',
      /frames\[0\]\.transform_matrix\[1\]\[2\] is NaN/,
    ],
  ];
  for (const [text, pattern] of cases) {
    const dir = mkdtempSync(join(tmpdir(), 'strata-radiance-'));
    writeFileSync(join(dir, 'transforms_train.json'), text);
    assert.throws(
      () => loadBlenderScene(dir, { cacheDir: null }),
      (e: unknown) => e instanceof DataError && pattern.test(e.message) && e.message.includes(dir),
      `expected ${pattern} for ${text}`,
    );
    rmSync(dir, { recursive: true });
  }
});

test('a PNG that is not a PNG fails naming the frame', () => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-radiance-'));
  writeFileSync(join(dir, 'bad.png'), 'not a png');
  writeFileSync(
    join(dir, 'transforms_train.json'),
    JSON.stringify({ camera_angle_x: 0.7, frames: [{ file_path: 'bad', transform_matrix: identity }] }),
  );
  assert.throws(() => loadBlenderScene(dir, { cacheDir: null }), /frames\[0\]\.file_path: .*bad\.png is not a valid PNG/);
  rmSync(dir, { recursive: true });
});

test('the procedural scene is deterministic, has views all around and rays through pixel centres', () => {
  const a = new ProceduralScene({ seed: 4, size: 16, views: 16 }).dataset();
  const b = new ProceduralScene({ seed: 4, size: 16, views: 16 }).dataset();
  const c = new ProceduralScene({ seed: 5, size: 16, views: 16 }).dataset();
  assert.deepEqual(Array.from(a.train[3].rgb), Array.from(b.train[3].rgb));
  assert.notDeepEqual(Array.from(a.train[3].rgb), Array.from(c.train[3].rgb));
  assert.equal(a.test.length, 2);
  const azimuths = a.train.map((v) => cameraAzimuth(v.camera)).sort((x, y) => x - y);
  assert.ok(azimuths[azimuths.length - 1] - azimuths[0] > 1.5 * Math.PI);
  // The centre pixel's ray of every camera passes near the origin it looks at.
  const cam = a.train[0].camera;
  const o = new Float32Array(3 * 256),
    d = new Float32Array(3 * 256);
  writeCameraRays(cam, o, d);
  const centre = 3 * (8 * 16 + 8);
  const t = -(o[centre] * d[centre] + o[centre + 1] * d[centre + 1] + o[centre + 2] * d[centre + 2]);
  const miss = Math.hypot(o[centre] + t * d[centre], o[centre + 1] + t * d[centre + 1], o[centre + 2] + t * d[centre + 2]);
  assert.ok(miss < 0.2, `centre ray misses the origin by ${miss}`);
  // Some pixels see the shapes, some the white background.
  const rgb = a.train[0].rgb;
  assert.ok(rgb.some((x) => x < 0.8) && rgb.some((x) => x > 0.999));
});

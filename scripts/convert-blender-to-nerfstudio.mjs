#!/usr/bin/env node
// Writes a Blender (NeRF synthetic) scene in the nerfstudio format, as a capture would come: JPEG images
// (quality 95) with the white background baked in and no alpha, one transforms.json with shared OPENCV
// intrinsics (fl_x fl_y cx cy w h, zero distortion), frames named frame_00000.jpg ... in the source order.
// Run after `npm run build`:
//   node scripts/convert-blender-to-nerfstudio.mjs [--scene ../shared/data/nerf-synthetic/lego] [--out .cache/scenes/lego-nerfstudio]

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { blenderSceneDir, encodeRgbJpeg, focalFromFov, parseTransforms, readPng, resampleRgbaOnto } from '@strata/tasks';

const { values: args } = parseArgs({
  options: {
    scene: { type: 'string', default: blenderSceneDir('lego') },
    out: { type: 'string', default: '.cache/scenes/lego-nerfstudio' },
    quality: { type: 'string', default: '95' },
  },
});
const sceneDir = resolve(args.scene);
const outDir = resolve(args.out);
const quality = Number(args.quality);
const source = join(sceneDir, 'transforms_train.json');
const { fovX, frames } = parseTransforms(readFileSync(source, 'utf8'), source);
mkdirSync(join(outDir, 'images'), { recursive: true });

let size = null;
const out = frames.map((frame, i) => {
  const path = join(sceneDir, frame.filePath.endsWith('.png') ? frame.filePath : `${frame.filePath}.png`);
  const img = readPng(path, `${source}: frames[${i}].file_path`);
  size ??= [img.width, img.height];
  // Same size in and out: only composites onto white.
  const rgb = resampleRgbaOnto(img.data, img.width, img.height, img.width, img.height, [1, 1, 1]);
  const name = `images/frame_${String(i).padStart(5, '0')}.jpg`;
  writeFileSync(join(outDir, name), encodeRgbJpeg(rgb, img.width, img.height, quality));
  const m = frame.c2w;
  return { file_path: name, transform_matrix: [m.slice(0, 4), m.slice(4, 8), m.slice(8, 12), [0, 0, 0, 1]] };
});
const [w, h] = size;
const focal = focalFromFov(fovX, w);
const transforms = {
  camera_model: 'OPENCV',
  fl_x: focal,
  fl_y: focal,
  cx: w / 2,
  cy: h / 2,
  w,
  h,
  k1: 0,
  k2: 0,
  p1: 0,
  p2: 0,
  frames: out,
};
writeFileSync(join(outDir, 'transforms.json'), JSON.stringify(transforms, null, 2));
console.log(`wrote ${out.length} frames (${w}x${h} JPEG, quality ${quality}) and transforms.json to ${outDir}`);

// `strata render --model FILE`: renders a saved voxel-grid radiance field to PNG: a held-out view of its
// scene (beside the ground truth, with PSNR and SSIM), a turntable strip around the scene, or depth maps.
// Rendering needs only the model and cameras, as on an edge rendering for its devices or on a device.
// `--export-compact FILE` writes the compact model a device downloads to render locally and compares it.

import { statSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { ConfigError } from '@strata/shared';
import {
  GridRenderer,
  decodeRadianceModel,
  depthToRgb,
  encodeCompactRadianceModel,
  evaluateViews,
  loadSceneDataset,
  horizontalStrip,
  loadRadianceModel,
  psnr,
  ssim,
  turntableCameras,
  writeRgbPng,
  type RgbImage,
  type SavedRadianceModel,
  type SceneDataset,
} from '@strata/tasks';
import { integerFlag as int } from '../flags/integer-flag.js';
import { ProgressBar } from '../console/progress.js';

interface RenderFlags {
  model: string;
  data?: string;
  procedural?: boolean;
  res?: number;
  holdOutEvery?: number;
  view: number;
  turntable?: number;
  elevation: number;
  radius: number;
  fov: number;
  depth?: boolean;
  out?: string;
  exportCompact?: string;
  keepAlpha: number;
  codebook: number;
  codebookExact: number;
}

const out = (line: string): void => void process.stdout.write(`${line}\n`);

export function register(program: Command): void {
  program
    .command('render')
    .description('render a saved radiance model: a held-out view beside its ground truth, a turntable strip, or depth maps')
    .requiredOption('--model <file>', 'saved model (runs/<id>/model.strf from strata train radiance)')
    .option('--data <dir>', 'scene folder for held-out views (default: the scene the model was trained on)')
    .option('--procedural', 'the procedural scene the model was trained on')
    .option('--res <n>', 'image width in pixels (default: the training resolution)', int)
    .option('--hold-out-every <n>', 'held-out split of the scene (default: the training split)', int)
    .option('--view <i>', 'which held-out view to render', int, 0)
    .option('--turntable <n>', 'render n views around the scene into one strip instead of a held-out view', int)
    .option('--elevation <deg>', 'turntable: camera elevation in degrees', Number.parseFloat, 30)
    .option('--radius <r>', 'turntable: camera distance from the centre', Number.parseFloat, 4)
    .option('--fov <rad>', 'turntable: horizontal field of view in radians', Number.parseFloat, 0.6911112070083618)
    .option('--depth', 'write depth maps instead of colour')
    .option('--out <file>', 'output PNG (default: beside the model)')
    .option(
      '--export-compact <file>',
      'write the compact model a device downloads to render locally (only the points a render reads, float16 density, codebook or int8 colour, brotli), then compare it with the full model on every held-out view',
    )
    .option(
      '--keep-alpha <a>',
      "--export-compact: drop cells whose corners' alpha are all below this (the renderer's own threshold changes no pixel)",
      Number.parseFloat,
      0.01,
    )
    .option(
      '--codebook <n>',
      '--export-compact: colour as an index into a learned codebook of n vectors (VQRF-style; at most 65536), 0: int8 colour per point',
      int,
      4096,
    )
    .option(
      '--codebook-exact <share>',
      '--export-compact with a codebook: this share of the points, those the codebook serves worst (alpha times squared error), keep int8 colour',
      Number.parseFloat,
      0.02,
    )
    .action((flags: RenderFlags) => renderCommand(flags));
}

async function renderCommand(flags: RenderFlags): Promise<void> {
  const modelPath = resolve(flags.model);
  const saved = loadRadianceModel(modelPath);
  const renderer = new GridRenderer(saved.grid, saved.settings);
  const meta = saved.meta as { data?: string; res?: number; holdOutEvery?: number; seed?: number };
  const res = flags.res ?? meta.res ?? 100;
  const near = saved.settings.near,
    far = saved.settings.far;
  const image = (view: ReturnType<GridRenderer['render']>): RgbImage =>
    flags.depth ? { ...view, rgb: depthToRgb(view, near, far) } : view;
  if (flags.turntable !== undefined) {
    const started = performance.now();
    if (!Number.isInteger(flags.turntable) || flags.turntable < 1)
      throw new ConfigError(`--turntable ${flags.turntable} must be a positive integer`);
    const cameras = turntableCameras(flags.turntable, (flags.elevation * Math.PI) / 180, flags.radius, res, res, flags.fov);
    const strip = horizontalStrip(cameras.map((c) => image(renderer.render(c))));
    const path = resolve(flags.out ?? `${modelPath.replace(/\.strf$/, '')}-turntable${flags.depth ? '-depth' : ''}.png`);
    writeRgbPng(path, strip.rgb, strip.width, strip.height);
    out(`turntable of ${flags.turntable} ${res}x${res} views in ${((performance.now() - started) / 1000).toFixed(2)} s: ${path}`);
    return;
  }
  const dataset = sceneOf(flags, meta, res);
  if (flags.exportCompact !== undefined) {
    await exportCompact(flags, modelPath, saved, dataset);
    return;
  }
  const truth = dataset.test[flags.view];
  if (!truth) throw new ConfigError(`--view ${flags.view}: the scene has ${dataset.test.length} held-out views`);
  const renderStart = performance.now();
  const view = renderer.render(truth.camera);
  const seconds = (performance.now() - renderStart) / 1000;
  const { width, height } = truth.camera;
  const strip = horizontalStrip([{ width, height, rgb: truth.rgb }, image(view)]);
  const path = resolve(flags.out ?? `${modelPath.replace(/\.strf$/, '')}-view-${flags.view}${flags.depth ? '-depth' : ''}.png`);
  writeRgbPng(path, strip.rgb, strip.width, strip.height);
  out(
    `held-out ${truth.name} (${width}x${height}) rendered in ${seconds.toFixed(2)} s: PSNR ${psnr(view.rgb, truth.rgb).toFixed(2)} dB, ` +
      `SSIM ${ssim(view.rgb, truth.rgb, width, height).toFixed(4)}; ground truth | ${flags.depth ? 'depth' : 'render'}: ${path}`,
  );
}

/** The scene a model was trained on (or the one the flags name), at `res`. */
function sceneOf(flags: RenderFlags, meta: { data?: string; holdOutEvery?: number; seed?: number }, res: number): SceneDataset {
  const procedural = flags.procedural ?? meta.data === 'procedural';
  const data = flags.data ?? (procedural || meta.data === undefined || meta.data === 'lego' ? undefined : meta.data);
  return loadSceneDataset({
    data,
    procedural,
    res,
    holdOutEvery: flags.holdOutEvery ?? meta.holdOutEvery ?? 8,
    seed: meta.seed ?? 1,
  });
}

/**
 * Writes the compact model of `saved` and reports its size beside the full model's, with the PSNR of both on
 * every held-out view and of the compact renders against the full model's.
 */
async function exportCompact(flags: RenderFlags, modelPath: string, saved: SavedRadianceModel, dataset: SceneDataset): Promise<void> {
  if (!(flags.keepAlpha >= 0 && flags.keepAlpha < 1)) throw new ConfigError(`--keep-alpha ${flags.keepAlpha} must be in [0, 1)`);
  if (!(Number.isInteger(flags.codebook) && flags.codebook >= 0 && flags.codebook <= 65_536)) {
    throw new ConfigError(`--codebook ${flags.codebook} must be an integer in [0, 65536]`);
  }
  if (!(flags.codebookExact >= 0 && flags.codebookExact <= 1))
    throw new ConfigError(`--codebook-exact ${flags.codebookExact} must be in [0, 1]`);
  const started = performance.now();
  const progress = new ProgressBar('colour codebook', 'stages');
  const onProgress = (done: number, total: number): void => {
    if (done === 1) progress.start(total);
    progress.update(done);
  };
  const bytes = await encodeCompactRadianceModel(saved, {
    keepAlpha: flags.keepAlpha,
    codebook: flags.codebook,
    codebookExact: flags.codebookExact,
    onProgress,
  });
  progress.stop();
  const seconds = (performance.now() - started) / 1000;
  const path = resolve(flags.exportCompact as string);
  writeFileSync(path, bytes);
  const compact = decodeRadianceModel(bytes, path);
  const full = evaluateViews(new GridRenderer(saved.grid, saved.settings), dataset.test, false);
  const small = evaluateViews(new GridRenderer(compact.grid, compact.settings), dataset.test, false);
  const againstFull = small.renders.reduce((sum, r, i) => sum + psnr(r.rgb, full.renders[i].rgb), 0) / small.renders.length;
  const fullBytes = statSync(modelPath).size;
  const mb = (n: number): string => `${(n / 1e6).toFixed(2)} MB`;
  out(
    `compact model ${path}: ${mb(bytes.length)} (full ${mb(fullBytes)}, ${(fullBytes / bytes.length).toFixed(1)}x smaller; ` +
      `${flags.codebook > 0 ? `colour codebook of ${flags.codebook}, ${flags.codebookExact} of the points exact` : 'int8 colour'}, encoded in ${seconds.toFixed(1)} s); ` +
      `held-out PSNR ${small.psnr.toFixed(2)} dB (full ${full.psnr.toFixed(2)} dB) over ${dataset.test.length} views; ` +
      `against the full model's renders ${againstFull.toFixed(2)} dB`,
  );
}

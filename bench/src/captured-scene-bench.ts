// Captured-scene loading against the Blender loader: lego as Blender wrote it (PNG with alpha, composited on
// white) and the same scene in the nerfstudio format (JPEG quality 95, white baked in, shared OPENCV
// intrinsics; written by scripts/convert-blender-to-nerfstudio.mjs), each trained with the centralized
// trainer's default schedule (as `strata train radiance --res 100`) and scored on the same held-out views.
// The nerfstudio scene is loaded as a capture would be (world normalised, scene extent from the cameras), with
// scene contraction as the loader chooses (auto) and, for comparison, forced off. Figures, not pass/fail.
// Usage:
//   node scripts/convert-blender-to-nerfstudio.mjs   (once)
//   node bench/dist/src/captured-scene-bench.js [--runs blender,nerfstudio,nerfstudio-bounded] [--res 100] [--threads 2]

import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import {
  DEFAULT_CENTRALIZED_OPTIONS,
  GridRenderer,
  blenderSceneDir,
  evaluateViews,
  loadSceneFolder,
  trainCentralized,
  type LoadedScene,
} from '@strata/tasks';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: 'blender,nerfstudio,nerfstudio-bounded' },
    res: { type: 'string', default: '100' },
    threads: { type: 'string', default: String(Math.min(2, cpus().length)) },
    nerfstudio: { type: 'string', default: '.cache/scenes/lego-nerfstudio' },
    seed: { type: 'string', default: '1' },
  },
});
const resolution = Number(args.res);
const threads = Number(args.threads);

const scenes: Record<string, () => LoadedScene> = {
  blender: () => loadSceneFolder(blenderSceneDir('lego'), { resolution }),
  nerfstudio: () => loadSceneFolder(args.nerfstudio, { resolution }),
  'nerfstudio-bounded': () => loadSceneFolder(args.nerfstudio, { resolution, contraction: 'off' }),
};

console.log(
  `captured-scene bench: lego at ${resolution}px, ${threads} threads, seed ${args.seed}; ` +
    `${cpus().length} cores (${cpus()[0]?.model ?? '?'})`,
);
const rows: string[] = [];
for (const run of args.runs.split(',')) {
  const load = scenes[run];
  if (!load) throw new Error(`--runs: unknown run '${run}' (known: ${Object.keys(scenes).join(', ')})`);
  const loadStart = performance.now();
  const scene = load();
  console.log(`${run}: ${scene.description} (loaded in ${((performance.now() - loadStart) / 1000).toFixed(1)} s)`);
  const cpu0 = process.cpuUsage();
  const result = await trainCentralized(scene.dataset, { ...DEFAULT_CENTRALIZED_OPTIONS, threads, seed: Number(args.seed) });
  const cpu = process.cpuUsage(cpu0);
  const evaluation = evaluateViews(new GridRenderer(result.grid, result.settings), scene.dataset.test);
  const row =
    `${run.padEnd(20)} | ${evaluation.psnr.toFixed(2).padStart(8)} | ${evaluation.ssim.toFixed(4)} | ` +
    `${result.trainSeconds.toFixed(1).padStart(7)} | ${((cpu.user + cpu.system) / 1e6).toFixed(0).padStart(6)} | ` +
    result.grid.geometry.dims.join('x');
  console.log(row);
  rows.push(row);
}
console.log('run                  | PSNR dB  | SSIM   | train s | CPU s  | final grid');
for (const row of rows) console.log(row);

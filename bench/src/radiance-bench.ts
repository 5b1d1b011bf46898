// Voxel-grid radiance field on lego (100x100, every 8th view held out): training throughput in rays per
// second (wall clock, and per CPU-second, which a shared machine disturbs much less) at grids of about 64^3
// and 128^3 points, measured in steady state after a short coarse-to-fine warm-up so that the occupancy grid
// and the density are what training sees, and the time to render one 100x100 and one 400x400 frame.
// Figures, not pass/fail.
// Usage:
//   node bench/dist/src/radiance-bench.js [--threads 2] [--batch 8192] [--data <scene dir>]

import { parseArgs } from 'node:util';
import { cpus } from 'node:os';
import {
  DEFAULT_CENTRALIZED_OPTIONS,
  GridRenderer,
  blenderSceneDir,
  loadBlenderScene,
  trainCentralized,
  type CentralizedOptions,
  type Camera,
  type TrainProgress,
} from '@strata/tasks';

const { values: args } = parseArgs({
  options: {
    threads: { type: 'string', default: String(Math.min(2, cpus().length)) },
    batch: { type: 'string', default: String(DEFAULT_CENTRALIZED_OPTIONS.batchSize) },
    data: { type: 'string' },
  },
});
const threads = Number(args.threads);
const batchSize = Number(args.batch);

const loadStart = performance.now();
const dataset = loadBlenderScene(args.data ?? blenderSceneDir('lego'), { resolution: 100 });
console.log(
  `radiance bench: ${dataset.name} at 100x100, ${dataset.train.length} training views; ${threads} threads, batch ${batchSize}; ` +
    `${cpus().length} cores (${cpus()[0]?.model ?? '?'}); data loaded in ${((performance.now() - loadStart) / 1000).toFixed(1)} s`,
);

// Warm-up and measurement stages: the last stage of each grid size is the one measured.
const stage = (res: number, steps: number): CentralizedOptions['fine'][number] => ({
  points: res ** 3,
  steps,
  weightThreshold: 1e-4,
  tvDensity: 0,
  tvColor: 0,
});
const options: CentralizedOptions = {
  ...DEFAULT_CENTRALIZED_OPTIONS,
  threads,
  batchSize,
  coarse: { ...DEFAULT_CENTRALIZED_OPTIONS.coarse, steps: 300 },
  fine: [stage(64, 400), stage(128, 300)],
  chunkSteps: 25,
};
const stageSteps = new Map([
  ['fine-1', options.fine[0].steps],
  ['fine-2', options.fine[1].steps],
]);
const stageFirstStep = new Map<string, number>();
const chunks = new Map<string, { rays: number; seconds: number; cpu: number; samples: number; dims: string }>();
let cpuMark = process.cpuUsage();
const measured = (p: TrainProgress): void => {
  const cpu = process.cpuUsage(cpuMark);
  cpuMark = process.cpuUsage();
  const first = stageFirstStep.get(p.stage) ?? p.step;
  stageFirstStep.set(p.stage, first);
  // Measure each fine stage's second half: the grid has just been resampled and the JIT is settling before.
  const steps = stageSteps.get(p.stage);
  if (steps === undefined || p.step - first < steps / 2) return;
  const rays = options.batchSize * options.chunkSteps;
  const entry = chunks.get(p.stage) ?? { rays: 0, seconds: 0, cpu: 0, samples: 0, dims: p.gridDims.join('x') };
  entry.rays += rays;
  entry.seconds += rays / p.raysPerSecond;
  entry.cpu += (cpu.user + cpu.system) / 1e6;
  entry.samples += p.samplesPerRay * rays;
  chunks.set(p.stage, entry);
};
const result = await trainCentralized(dataset, options, { progress: measured });
console.log('grid                    | points    | rays/s (wall) | rays per CPU-s | samples/ray');
for (const [name, label] of [
  ['fine-1', '~64^3'],
  ['fine-2', '~128^3'],
] as const) {
  const c = chunks.get(name);
  if (!c) continue;
  const points = c.dims.split('x').reduce((a, b) => a * Number(b), 1);
  console.log(
    `${label.padEnd(6)} ${c.dims.padEnd(16)} | ${String(points).padEnd(9)} | ${Math.round(c.rays / c.seconds)
      .toLocaleString('en')
      .padStart(13)} | ` +
      `${Math.round(c.rays / c.cpu)
        .toLocaleString('en')
        .padStart(14)} | ${(c.samples / c.rays).toFixed(1).padStart(11)}`,
  );
}

// Rendering: a held-out camera at 100x100 and the same camera at 400x400 (focal scaled with the width).
const renderer = new GridRenderer(result.grid, result.settings);
const camera = dataset.test[0].camera;
const scaled = (width: number): Camera => ({ ...camera, width, height: width, focal: (camera.focal * width) / camera.width });
for (const width of [100, 400]) {
  let best = Infinity;
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    renderer.render(scaled(width));
    best = Math.min(best, performance.now() - t0);
  }
  console.log(`render ${width}x${width}: ${best.toFixed(1)} ms (best of 3, one thread, grid ${result.grid.geometry.dims.join('x')})`);
}

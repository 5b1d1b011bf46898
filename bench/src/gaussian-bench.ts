// Gaussian splatting on lego (every 8th view held out): training throughput in steps (images) and pixels per
// second, wall clock and per CPU-second (which a shared machine disturbs much less), at 100x100 and 200x200,
// measured over the last chunk of a short schedule with density control (so the cloud has grown as in
// training), and the time to render one 400x400 frame on one thread. Figures, not pass/fail.
// Usage:
//   node bench/dist/src/gaussian-bench.js [--steps 1000] [--res 100,200] [--data <scene dir>]

import { parseArgs } from 'node:util';
import { cpus, loadavg } from 'node:os';
import {
  GaussianRenderer,
  blenderSceneDir,
  loadBlenderScene,
  parseGaussianTrainingOptions,
  scaleCamera,
  trainGaussians,
  type GaussianTrainProgress,
} from '@strata/tasks';

const { values: args } = parseArgs({
  options: {
    steps: { type: 'string', default: '1000' },
    res: { type: 'string', default: '100,200' },
    data: { type: 'string' },
  },
});
const steps = Number(args.steps);
console.log(
  `gaussian bench: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), load average ${loadavg()[0].toFixed(1)}; ${steps} steps per size`,
);

for (const res of args.res.split(',').map(Number)) {
  const dataset = loadBlenderScene(args.data ?? blenderSceneDir('lego'), { resolution: res });
  const chunk = Math.max(10, Math.round(steps / 10));
  const options = parseGaussianTrainingOptions({
    steps,
    chunkSteps: chunk,
    densifyFrom: Math.round(steps * 0.2),
    densifyUntil: Math.round(steps * 0.7),
    opacityResetEvery: steps + 1,
    shDegreeEvery: Math.max(1, Math.round(steps / 4)),
  });
  let last: GaussianTrainProgress | undefined;
  let cpu = process.cpuUsage();
  let lastCpuSeconds = 0;
  const result = trainGaussians(dataset, options, {
    progress: (p) => {
      const used = process.cpuUsage(cpu);
      lastCpuSeconds = (used.user + used.system) / 1e6;
      cpu = process.cpuUsage();
      last = p;
    },
  });
  if (!last) throw new Error('no progress reported');
  const pixelsPerChunk = chunk * res * Math.round((res * dataset.train[0].camera.height) / dataset.train[0].camera.width);
  const view = dataset.test[0];
  const renderer = new GaussianRenderer(result.cloud, dataset.background);
  const camera = scaleCamera(view.camera, 400, 400);
  renderer.render(camera);
  const cpu400 = process.cpuUsage();
  const t0 = performance.now();
  renderer.render(camera);
  const wall400 = performance.now() - t0;
  const cpuRender = process.cpuUsage(cpu400);
  console.log(
    `${res}x${res}: ${last.count.toLocaleString('en')} Gaussians (SH ${last.shDegree}) in the last chunk: ` +
      `${last.stepsPerSecond.toFixed(2)} steps/s, ${Math.round(last.pixelsPerSecond).toLocaleString('en')} pixels/s wall; ` +
      `${(chunk / lastCpuSeconds).toFixed(2)} steps/s, ${Math.round(pixelsPerChunk / lastCpuSeconds).toLocaleString('en')} pixels/s per CPU-second; ` +
      `400x400 render ${wall400.toFixed(0)} ms wall, ${((cpuRender.user + cpuRender.system) / 1000).toFixed(0)} ms CPU`,
  );
}

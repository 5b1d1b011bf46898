// `strata train radiance --model gaussians`: 3D Gaussian splatting on the same scenes and held-out split as
// the voxel grid. Writes the run record (psnr, ssim, the number of Gaussians, the model's size, the time to
// render one 400x400 frame on this thread), held-out renders, the model as a standard 3DGS .ply and .splat,
// and the HTML report.

import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { newRunId, type RoundRecord, type RunRecord } from '@strata/shared';
import { writeRunRecord } from '@strata/runtime';
import {
  GaussianRenderer,
  blenderSceneDir,
  encodeGaussianSplat,
  evaluateViews,
  loadScene,
  parseGaussianTrainingOptions,
  saveGaussianPly,
  scaleCamera,
  trainGaussians,
  type GaussianCloud,
  type SceneDataset,
} from '@strata/tasks';
import { ProgressBar } from '../console/progress.js';
import { comparisonTable } from '../console/round-table.js';
import { writeRunReport } from '../report/index.js';
import { environment, heldOutArtifacts, type Artifact } from './radiance-artifacts.js';
import type { TrainRadianceFlags } from './train-radiance.js';

const out = (line: string): void => void process.stdout.write(`${line}\n`);

/** Milliseconds to render one `size` x `size` frame of the first held-out camera (median of three). */
export function renderMilliseconds(cloud: GaussianCloud, dataset: SceneDataset, size = 400): number {
  const view = dataset.test[0] ?? dataset.train[0];
  const camera = scaleCamera(view.camera, size, Math.round((size * view.camera.height) / view.camera.width));
  const renderer = new GaussianRenderer(cloud, dataset.background);
  renderer.render(camera);
  const times: number[] = [];
  for (let k = 0; k < 3; k++) {
    const t0 = performance.now();
    renderer.render(camera);
    times.push(performance.now() - t0);
  }
  return times.sort((a, b) => a - b)[1];
}

export async function gaussiansCommand(flags: TrainRadianceFlags): Promise<void> {
  const started = performance.now();
  if (!flags.procedural) out('loading the scene (a first load decodes and caches its images: about a minute)');
  const { dataset, description } = loadScene(flags);
  out(`scene: ${description}`);
  const options = parseGaussianTrainingOptions({
    seed: flags.seed,
    ...(flags.steps !== undefined ? { steps: flags.steps } : {}),
    ...(flags.shDegree !== undefined ? { maxShDegree: flags.shDegree } : {}),
    ...flags.taskOption,
  });
  if (flags.dryRun) {
    out(JSON.stringify({ scene: dataset.name, trainViews: dataset.train.length, testViews: dataset.test.length, options }, null, 2));
    return;
  }
  out(
    `centralized Gaussian splatting on ${dataset.name}: ${dataset.train.length} training and ${dataset.test.length} held-out views ` +
      `at ${flags.res}px, ${options.steps} steps from ${options.initialCount} random Gaussians (one thread)`,
  );
  const id = newRunId(`radiance-gaussians-centralized-${dataset.name}`);
  const runDir = resolve(flags.runsDir, id);
  const rounds: RoundRecord[] = [];
  const artifacts: Artifact[] = [];
  const bar = new ProgressBar('train', 'steps');
  bar.start(options.steps);
  let chunkStart = performance.now();
  const result = trainGaussians(dataset, options, {
    progress: (p) => {
      bar.update(
        p.step,
        `${p.count.toLocaleString('en')} Gaussians, SH ${p.shDegree}, train psnr ${p.trainPsnr.toFixed(2)}, ${p.stepsPerSecond.toFixed(1)} steps/s`,
      );
      const now = performance.now();
      rounds.push({
        round: rounds.length + 1,
        wallSeconds: (now - chunkStart) / 1000,
        bytes: { deviceEdge: 0, edgeCloud: 0 },
        metrics: { loss: 10 ** (-p.trainPsnr / 10) },
        step: p.step,
        gaussians: p.count,
        stepsPerSecond: p.stepsPerSecond,
        pixelsPerSecond: p.pixelsPerSecond,
      });
      chunkStart = now;
    },
  });
  bar.stop();
  const cloud = result.cloud;
  const evaluation = evaluateViews(new GaussianRenderer(cloud, dataset.background), dataset.test);
  const metrics = { psnr: evaluation.psnr, ssim: evaluation.ssim };
  const renderMs400 = renderMilliseconds(cloud, dataset);
  const wallSeconds = (performance.now() - started) / 1000;
  artifacts.push(...heldOutArtifacts(runDir, dataset, evaluation));
  mkdirSync(runDir, { recursive: true });
  saveGaussianPly(join(runDir, 'point_cloud.ply'), cloud);
  writeFileSync(join(runDir, 'model.splat'), encodeGaussianSplat(cloud));
  artifacts.push({ path: 'point_cloud.ply', caption: 'trained Gaussians, standard 3DGS .ply (opens in splat viewers)', kind: 'data' });
  artifacts.push({ path: 'model.splat', caption: 'trained Gaussians, .splat (antimatter15 layout)', kind: 'data' });
  const modelMegabytes = cloud.byteLength / 1e6;
  const record: RunRecord = {
    id,
    task: 'radiance/gaussians',
    mode: 'centralized',
    startedAt: new Date(Date.now() - wallSeconds * 1000).toISOString(),
    config: {
      scene: dataset.name,
      data: flags.procedural ? 'procedural' : resolve(flags.data ?? blenderSceneDir('lego')),
      res: flags.res,
      holdOutEvery: flags.holdOutEvery,
      ...options,
    },
    environment: environment(),
    rounds,
    final: {
      metrics,
      wallSeconds,
      trainSeconds: result.trainSeconds,
      trainCpuSeconds: result.trainCpuSeconds,
      loadAverage: loadavg()[0],
      steps: result.steps,
      pixels: result.pixels,
      pixelsPerSecond: result.pixels / result.trainSeconds,
      stepsPerSecond: result.steps / result.trainSeconds,
      gaussians: cloud.count,
      shDegree: cloud.shDegree,
      modelMegabytes,
      renderMs400,
      perView: evaluation.perView,
    },
    artifacts,
  };
  writeRunRecord(resolve(flags.runsDir), record);
  out(comparisonTable({ 'centralized gaussians': metrics }, ['psnr', 'ssim']));
  out(
    `${cloud.count.toLocaleString('en')} Gaussians (SH degree ${cloud.shDegree}), model ${modelMegabytes.toFixed(2)} MB, ` +
      `400x400 frame in ${renderMs400.toFixed(0)} ms on one thread; wall time ${wallSeconds.toFixed(1)} s ` +
      `(training ${result.trainSeconds.toFixed(1)} s wall, ${result.trainCpuSeconds.toFixed(1)} s CPU, load average ${loadavg()[0].toFixed(1)}, ${(result.steps / result.trainSeconds).toFixed(1)} steps/s); run record ${runDir}/run.json`,
  );
  if (flags.report) out(`report ${writeRunReport(runDir, record)}`);
}

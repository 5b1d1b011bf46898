// `strata train radiance --model gaussians`: 3D Gaussian splatting on the same scenes and held-out split as
// the voxel grid. Writes the run record (psnr, ssim, the number of Gaussians, the model's size, the time to
// render one 400x400 frame on this thread), held-out renders, the model as a standard 3DGS .ply and .splat,
// its compact file for devices that render locally (.strg, with its own held-out PSNR), and the HTML report. With --federated, the task radiance/gaussians over devices under edges (the embedded
// runtime, as the voxel grid's federated run), against centralized Gaussians trained on as many pixels.

import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { ConfigError, newRunId, parseRunConfig, type RoundRecord, type RunConfig, type RunRecord } from '@strata/shared';
import { writeRunRecord } from '@strata/runtime';
import {
  GaussianRenderer,
  blenderSceneDir,
  decodeCompactGaussians,
  encodeCompactGaussians,
  gaussianBaselines,
  gaussiansEntry,
  radianceGaussiansTask,
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
import { centralizedRadianceHeader, heldOutArtifacts, snapshotArtifacts, type Artifact } from './radiance-artifacts.js';
import { radianceRoundsWithProgress } from './radiance-rounds-with-progress.js';
import type { TrainRadianceFlags } from './train-radiance.js';

const out = (line: string): void => void process.stdout.write(`${line}\n`);
const HEADLINE = ['psnr', 'ssim'];

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
  artifacts.push(...gaussianModelArtifacts(runDir, cloud, 'trained Gaussians'));
  const compact = await compactModelArtifact(runDir, cloud, dataset, 'trained Gaussians');
  artifacts.push(compact.artifact);
  const modelMegabytes = cloud.byteLength / 1e6;
  const record: RunRecord = {
    ...centralizedRadianceHeader({ id, task: 'radiance/gaussians', scene: dataset.name, flags, options, wallSeconds, rounds }),
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
      compactMegabytes: compact.megabytes,
      compactPsnr: compact.psnr,
      renderMs400,
      perView: evaluation.perView,
    },
    artifacts,
  };
  writeRunRecord(resolve(flags.runsDir), record);
  out(comparisonTable({ 'centralized gaussians': metrics }, ['psnr', 'ssim']));
  out(
    `${cloud.count.toLocaleString('en')} Gaussians (SH degree ${cloud.shDegree}), model ${modelMegabytes.toFixed(2)} MB, ` +
      `compact file ${compact.megabytes.toFixed(2)} MB at ${compact.psnr.toFixed(2)} dB, ` +
      `400x400 frame in ${renderMs400.toFixed(0)} ms on one thread; wall time ${wallSeconds.toFixed(1)} s ` +
      `(training ${result.trainSeconds.toFixed(1)} s wall, ${result.trainCpuSeconds.toFixed(1)} s CPU, load average ${loadavg()[0].toFixed(1)}, ${(result.steps / result.trainSeconds).toFixed(1)} steps/s); run record ${runDir}/run.json`,
  );
  if (flags.report) out(`report ${writeRunReport(runDir, record)}`);
}

/** The model files of `cloud` in `runDir` (standard 3DGS .ply and .splat), as artifacts. */
function gaussianModelArtifacts(runDir: string, cloud: GaussianCloud, what: string): Artifact[] {
  mkdirSync(runDir, { recursive: true });
  saveGaussianPly(join(runDir, 'point_cloud.ply'), cloud);
  writeFileSync(join(runDir, 'model.splat'), encodeGaussianSplat(cloud));
  return [
    { path: 'point_cloud.ply', caption: `${what}, standard 3DGS .ply (opens in splat viewers)`, kind: 'data' },
    { path: 'model.splat', caption: `${what}, .splat (antimatter15 layout)`, kind: 'data' },
  ];
}

/**
 * The compact file of `cloud` (compact-gaussian-file.ts) in `runDir` as `model.strg`, and the held-out PSNR of
 * what a device decodes from it: the quantisation's cost, measured rather than assumed.
 */
async function compactModelArtifact(
  runDir: string,
  cloud: GaussianCloud,
  dataset: SceneDataset,
  what: string,
): Promise<{ artifact: Artifact; megabytes: number; psnr: number }> {
  const bytes = await encodeCompactGaussians(cloud, { scene: dataset.name });
  writeFileSync(join(runDir, 'model.strg'), bytes);
  const decoded = decodeCompactGaussians(bytes, 'model.strg').cloud;
  const { psnr } = evaluateViews(new GaussianRenderer(decoded, dataset.background), dataset.test);
  return {
    artifact: { path: 'model.strg', caption: `${what}, compact file for local rendering (${psnr.toFixed(2)} dB held out)`, kind: 'data' },
    megabytes: bytes.length / 1e6,
    psnr,
  };
}

/**
 * `--model gaussians --federated`: the run configuration from the flags. The downlink is always lossless (the
 * scaffold must reach every device exactly) and per-row norm clipping off (it would cap the statistic). Rounds and
 * κ1 default to the 3000 images of centralized training's default over 8 devices: under the default
 * combineChanges 'serverAdam' (one large-batch Adam step at the cloud a round) 375 rounds of 1 image a device,
 * evaluated every third of the rounds (125); under the others 15 rounds of 25 images a device, evaluated every 5.
 */
export async function federatedGaussiansCommand(flags: TrainRadianceFlags, isDefault: (flag: string) => boolean): Promise<void> {
  const serverAdam = (flags.taskOption?.combineChanges ?? 'serverAdam') === 'serverAdam';
  const rounds = isDefault('rounds') ? (serverAdam ? 375 : 15) : flags.rounds;
  const config = parseRunConfig({
    task: gaussiansEntry.name,
    data: flags.procedural ? {} : { path: resolve(flags.data ?? blenderSceneDir('lego')) },
    seed: flags.seed,
    topology: { edges: flags.edges, devices: flags.devices },
    schedule: {
      rounds,
      kappa1: isDefault('kappa1') ? (serverAdam ? 1 : 25) : flags.kappa1,
      kappa2: flags.kappa2,
      evalEvery: isDefault('evalEvery') && serverAdam ? Math.max(1, Math.round(rounds / 3)) : flags.evalEvery,
    },
    compression: {
      dtype: isDefault('compression') ? 'float32' : flags.compression,
      errorFeedback: flags.errorFeedback,
      entropy: flags.entropy,
    },
    downlink: { dtype: 'float32', rowFraction: 1, energy: 1, entropy: flags.entropy },
    defences: { clipFactor: 0 },
    taskOptions: {
      devices: flags.devices,
      partition: flags.partition,
      imageRes: flags.res,
      holdOutEvery: flags.holdOutEvery,
      procedural: flags.procedural ?? false,
      ...(flags.shDegree !== undefined ? { maxShDegree: flags.shDegree } : {}),
      ...flags.taskOption,
    },
    baselines: flags.baselines,
    report: flags.report,
    runsDir: flags.runsDir,
  });
  if (flags.dryRun) {
    out(JSON.stringify({ config, task: radianceGaussiansTask(config).describe() }, null, 2));
    return;
  }
  await runFederatedGaussians(config);
}

/** Mean bytes a round in each direction of each tier, from a run's round records. */
export function meanRoundBytes(rounds: readonly RoundRecord[]): Record<string, number> {
  const sums: Record<string, number> = {};
  for (const round of rounds) {
    for (const [direction, bytes] of Object.entries(round.bytes)) sums[direction] = (sums[direction] ?? 0) + bytes;
  }
  return Object.fromEntries(Object.entries(sums).map(([direction, bytes]) => [direction, bytes / Math.max(1, rounds.length)]));
}

/** The hierarchical run of `config` (task radiance/gaussians), its centralized baseline, renders and model files. */
export async function runFederatedGaussians(config: RunConfig): Promise<RunRecord> {
  const task = radianceGaussiansTask(config);
  const { schedule } = config;
  out(
    `Strata: radiance/gaussians on ${task.dataset.name}, ${config.topology.edges} edges, ${task.numDevices} devices ` +
      `(${task.options.partition} partition), ${schedule.rounds} rounds, κ1=${schedule.kappa1} images κ2=${schedule.kappa2} ` +
      `(${task.schedule.steps} images in all), ${config.compression.dtype} updates, capacity ${task.options.capacity} Gaussians`,
  );
  let baselines: Record<string, Record<string, number>> = {};
  if (config.baselines) {
    const bar = new ProgressBar('centralized baseline', 'chunks');
    const started = performance.now();
    baselines = await gaussianBaselines(task, { start: (total, detail) => bar.start(total, detail), tick: (detail) => bar.tick(detail) });
    bar.stop();
    for (const metrics of Object.values(baselines)) metrics.wallSeconds = (performance.now() - started) / 1000;
    out(comparisonTable(baselines, HEADLINE));
  }
  const { record, evaluatedRounds } = await radianceRoundsWithProgress(config, task, HEADLINE, out);
  const runDir = resolve(config.runsDir, record.id);
  record.baselines = baselines;
  record.artifacts = snapshotArtifacts(runDir, task, evaluatedRounds);
  const model = task.lastEvaluatedModel;
  if (!model) throw new ConfigError('the federated run evaluated no model');
  const cloud = task.cloud(model);
  record.artifacts.push(...gaussianModelArtifacts(runDir, cloud, 'final global Gaussians'));
  const compact = await compactModelArtifact(runDir, cloud, task.dataset, 'final global Gaussians');
  record.artifacts.push(compact.artifact);
  const bytes = meanRoundBytes(record.rounds);
  record.final = {
    ...record.final,
    gaussians: cloud.count,
    modelMegabytes: cloud.byteLength / 1e6,
    compactMegabytes: compact.megabytes,
    compactPsnr: compact.psnr,
    meanRoundBytes: bytes,
    refreshes: task.refreshes,
  };
  writeRunRecord(resolve(config.runsDir), record);
  out('');
  out(comparisonTable({ [`federated (${record.rounds.length} rounds)`]: record.final.metrics, ...baselines }, HEADLINE));
  const mb = (key: string): string => `${((bytes[key] ?? 0) / 1e6).toFixed(2)} MB`;
  out(
    `mean bytes a round: device→edge ${mb('deviceEdgeUp')}, edge→device ${mb('deviceEdgeDown')}, ` +
      `edge→cloud ${mb('edgeCloudUp')}, cloud→edge ${mb('edgeCloudDown')}; ${cloud.count.toLocaleString('en')} Gaussians`,
  );
  out(`\nwall time ${record.final.wallSeconds.toFixed(1)} s; run record ${runDir}/run.json`);
  if (config.report) out(`report ${writeRunReport(runDir, record)}`);
  return record;
}

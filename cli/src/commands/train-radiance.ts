// `strata train radiance`: a voxel-grid radiance field on a Blender scene (default lego) or the procedural
// scene. Centralized by default (coarse-to-fine DVGO-style schedule, worker threads); with --federated, the
// hierarchical run (coordinator, edges, devices in one process, the same embedded runtime as `strata run`)
// over devices that each hold an arc of camera azimuths. Both write a run record with final psnr and ssim,
// the renders (held-out ground truth beside the model's views) as artifacts, and the HTML report.

import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { ConfigError, newRunId, parseRunConfig, type RoundRecord, type RunConfig, type RunRecord } from '@strata/shared';
import { writeRunRecord } from '@strata/runtime';
import {
  DEFAULT_CENTRALIZED_OPTIONS,
  GridRenderer,
  blenderSceneDir,
  evaluateViews,
  loadScene,
  radianceBaselines,
  radianceVoxelGridTask,
  saveRadianceModel,
  trainCentralized,
  voxelGridEntry,
  type CentralizedOptions,
} from '@strata/tasks';
import { collectKeyValue, type OptionValue } from '../flags/parse-key-values.js';
import { ProgressBar } from '../console/progress.js';
import { comparisonTable } from '../console/round-table.js';
import { addExamples } from '../console/help-text.js';
import { writeRunReport } from '../report/index.js';
import { integerFlag as int } from '../flags/integer-flag.js';
import { downlinkFromFlags, downlinkOptions, type DownlinkFlags } from '../flags/downlink-flags.js';
import { defencesWithTaskDefaults } from '../flags/task-run-defaults.js';
import { entropyOption, type EntropyFlags } from '../flags/entropy-flags.js';
import {
  centralizedRadianceHeader,
  heldOutArtifacts,
  imageArtifact,
  snapshotArtifacts,
  truthBeside,
  type Artifact,
} from './radiance-artifacts.js';
import { radianceRoundsWithProgress } from './radiance-rounds-with-progress.js';
import { federatedGaussiansCommand, gaussiansCommand } from './train-radiance-gaussians.js';

/**
 * The federated voxel grid's wire defaults (issue 16, measured on the full lego scene: README "Radiance on the
 * wire"): devices upload int8 rows of the half of their touched voxels that changed most, and edges send int8
 * patches of the changed rows that carry 99% of the change's squared norm. Edges clip rows as the task's own
 * defaults say (voxelGridEntry.runDefaults: not at all, unless --clip-factor is given).
 */
const RADIANCE_UPLOAD_SHARE = 0.5;
const RADIANCE_DOWNLINK = { dtype: 'int8', rowFraction: 1, energy: 0.99 } as const;

export interface TrainRadianceFlags extends DownlinkFlags, EntropyFlags {
  data?: string;
  procedural?: boolean;
  contraction: 'auto' | 'on' | 'off';
  res: number;
  holdOutEvery: number;
  threads: number;
  grid: number;
  steps?: number;
  batch: number;
  shDegree?: number;
  model: 'voxel-grid' | 'gaussians';
  seed: number;
  runsDir: string;
  report: boolean;
  federated?: boolean;
  edges: number;
  devices: number;
  rounds: number;
  kappa1: number;
  kappa2: number;
  evalEvery: number;
  partition: 'azimuth' | 'random';
  compression: 'float32' | 'float16' | 'int8';
  errorFeedback: boolean;
  uploadShare: number;
  clipFactor?: number;
  taskOption?: Record<string, OptionValue>;
  baselines: boolean;
  dryRun?: boolean;
}

const HEADLINE = ['psnr', 'ssim'];
const out = (line: string): void => void process.stdout.write(`${line}\n`);

export function register(train: Command): void {
  const command = train
    .command('radiance')
    .description('voxel-grid radiance field (density + SH colour): centralized, or --federated over devices under edges')
    .option(
      '--data <dir>',
      'scene folder: Blender (transforms_train.json), nerfstudio / instant-ngp (transforms.json), LLFF (poses_bounds.npy) ' +
        'or a COLMAP text model; the format is detected and named (default: the shared lego scene)',
    )
    .addOption(
      new Option('--contraction <mode>', 'scene contraction for unbounded backgrounds (auto: on unless the scene looks bounded)')
        .choices(['auto', 'on', 'off'])
        .default('auto'),
    )
    .option('--procedural', 'train on the procedural scene (known ground truth, no files) instead of --data')
    .option('--res <n>', 'image width in pixels', int, 100)
    .option('--hold-out-every <n>', 'views i with i % n == 0 are held out for evaluation', int, 8)
    .option('--threads <n>', 'training threads', int, Math.min(2, cpus().length))
    .option('--grid <n>', 'centralized: final grid of about n^3 points; federated: the fixed grid', int)
    .option('--steps <n>', 'centralized: optimisation steps over all stages (default 1500, the tuned schedule, scaled alike)', int)
    .option('--batch <n>', 'rays per step (centralized) or per local step (federated)', int)
    .option(
      '--sh-degree <n>',
      'spherical-harmonics degree of the colour (voxel grid: 0 to 2, default 1; gaussians: 0 to 3, default 3)',
      int,
    )
    .addOption(
      new Option('--model <kind>', 'voxel-grid (DVGO-style grid, ray marched) or gaussians (3D Gaussian splatting, rasterised)')
        .choices(['voxel-grid', 'gaussians'])
        .default('voxel-grid'),
    )
    .option('--seed <n>', 'random seed', int, 1)
    .option('--runs-dir <dir>', 'where run records go', 'runs')
    .option('--no-report', 'do not write the HTML report')
    .option('--federated', 'hierarchical federated run (coordinator, edges and devices in one process)')
    .option('--edges <n>', 'federated: edge nodes', int, 2)
    .option('--devices <n>', 'federated: devices (each holds a disjoint set of training views)', int, 8)
    .option(
      '--rounds <n>',
      'federated: cloud rounds (--model gaussians: default 375, or 15 with combineChanges other than serverAdam)',
      int,
      40,
    )
    .option(
      '--kappa1 <n>',
      'federated: κ1, local steps (batches of --batch rays, default 512; --model gaussians: images, default 1, or 25 with combineChanges other than serverAdam) per edge aggregation',
      int,
      80,
    )
    .option('--kappa2 <n>', 'federated: κ2, edge aggregations per cloud round', int, 1)
    .option(
      '--eval-every <n>',
      'federated: render the held-out views every n rounds (--model gaussians with serverAdam: default a third of the rounds)',
      int,
      5,
    )
    .addOption(
      new Option('--partition <how>', 'federated: how views are split over devices').choices(['azimuth', 'random']).default('azimuth'),
    )
    .addOption(
      new Option('--compression <dtype>', 'federated: update encoding on the way up (--model gaussians: default float32)')
        .choices(['float32', 'float16', 'int8'])
        .default('int8'),
    )
    .option('--no-error-feedback', 'federated: do not carry the quantisation residual to the next round')
    .option(
      '--upload-share <fraction>',
      'federated: devices upload this share of the voxels they touched, those whose change since the model they received is largest, and hold the rest (1: all)',
      Number.parseFloat,
      RADIANCE_UPLOAD_SHARE,
    )
    .option(
      '--clip-factor <x>',
      "federated, voxel grid: edges clip each sparse row to x times the iteration's median row norm (0: off); the per-update stage stays on (default: the task's own, 0: a grid's honest row norms are heavy-tailed)",
      Number.parseFloat,
    )
    .option(
      '--task-option <key=value>',
      'federated: task or device option; --model gaussians: a training option; repeatable (e.g. lrDensity=0.2, sharedSecondMoment=false; `strata tasks radiance/voxel-grid` lists them)',
      collectKeyValue('--task-option'),
    )
    .option('--no-baselines', 'federated: skip the centralized baseline with the same number of rays (gaussians: pixels)')
    .option('--dry-run', 'load the scene, check the options and print what would train, without training');
  for (const option of downlinkOptions(RADIANCE_DOWNLINK)) command.addOption(option);
  command.addOption(entropyOption());
  addExamples(command, [
    'strata train radiance',
    'strata train radiance --res 50 --grid 64 --steps 600',
    'strata train radiance --procedural --res 32',
    'strata train radiance --model gaussians',
    'strata train radiance --model gaussians --steps 2000 --task-option initialCount=5000',
    'strata train radiance --model gaussians --federated --rounds 15 --kappa1 25',
    'strata train radiance --federated --rounds 10 --compression float16',
    'strata train radiance --federated --res 50 --grid 48 --kappa1 20',
    'strata train radiance --federated --task-option sharedSecondMoment=false',
    'strata train radiance --federated --compression int8 --upload-share 0.3 --downlink-rows 0.1',
  ]);
  command.action(async (flags: TrainRadianceFlags, self: Command) => {
    if (flags.model === 'gaussians') {
      if (flags.federated) await federatedGaussiansCommand(flags, (name) => self.getOptionValueSource(name) === 'default');
      else await gaussiansCommand(flags);
    } else if (flags.federated) await federatedCommand(flags, (name) => self.getOptionValueSource(name) === 'default');
    else await centralizedCommand(flags);
  });
}

/**
 * The tuned centralized schedule, scaled to `--grid` / `--steps` when given: every stage (coarse included)
 * keeps its grid size relative to the final grid and its share of the steps.
 */
export function centralizedSchedule(
  flags: Pick<TrainRadianceFlags, 'threads' | 'seed' | 'grid' | 'steps' | 'batch' | 'shDegree'>,
): CentralizedOptions {
  const d = DEFAULT_CENTRALIZED_OPTIONS;
  const finalPoints = d.fine[d.fine.length - 1].points;
  const pointScale = flags.grid === undefined ? 1 : flags.grid ** 3 / finalPoints;
  const defaultSteps = [d.coarse, ...d.fine].reduce((n, s) => n + s.steps, 0);
  const stepScale = (flags.steps ?? defaultSteps) / defaultSteps;
  const scaled = <S extends { points: number; steps: number }>(s: S): S => ({
    ...s,
    points: Math.max(8, Math.round(s.points * pointScale)),
    steps: Math.max(1, Math.round(s.steps * stepScale)),
  });
  return {
    ...d,
    threads: flags.threads,
    seed: flags.seed,
    shDegree: flags.shDegree ?? 1,
    coarse: scaled(d.coarse),
    fine: d.fine.map(scaled),
    ...(flags.batch !== undefined ? { batchSize: flags.batch } : {}),
  };
}

async function centralizedCommand(flags: TrainRadianceFlags): Promise<void> {
  const started = performance.now();
  if (!flags.procedural) out('loading the scene (a first load decodes and caches its images: about a minute)');
  const { dataset, description } = loadScene(flags);
  out(`scene: ${description}`);
  const options = centralizedSchedule(flags);
  if (flags.dryRun) {
    out(
      JSON.stringify({ scene: dataset.name, trainViews: dataset.train.length, testViews: dataset.test.length, schedule: options }, null, 2),
    );
    return;
  }
  out(
    `centralized voxel-grid radiance field on ${dataset.name}: ${dataset.train.length} training and ${dataset.test.length} held-out views ` +
      `at ${flags.res}px, ${options.threads} threads, final grid ~${Math.round(Math.cbrt(options.fine[options.fine.length - 1].points))}^3 points`,
  );
  const id = newRunId(`radiance-voxel-grid-centralized-${dataset.name}`);
  const runDir = resolve(flags.runsDir, id);
  const rounds: RoundRecord[] = [];
  const artifacts: Artifact[] = [];
  const bar = new ProgressBar('train', 'steps');
  const totalSteps = [options.coarse, ...options.fine].reduce((n, s) => n + s.steps, 0);
  bar.start(totalSteps);
  let chunkStart = performance.now();
  const probe = dataset.test[0];
  const result = await trainCentralized(dataset, options, {
    progress: (p) => {
      bar.update(
        p.step,
        `${p.stage} ${p.gridDims.join('x')}, train psnr ${p.trainPsnr.toFixed(2)}, ${Math.round(p.raysPerSecond).toLocaleString('en')} rays/s`,
      );
      const now = performance.now();
      rounds.push({
        round: rounds.length + 1,
        wallSeconds: (now - chunkStart) / 1000,
        bytes: { deviceEdge: 0, edgeCloud: 0 },
        metrics: { loss: 10 ** (-p.trainPsnr / 10) },
        stage: p.stage,
        step: p.step,
        raysPerSecond: p.raysPerSecond,
        samplesPerRay: p.samplesPerRay,
        occupied: p.occupied,
      });
      chunkStart = now;
    },
    stageFinished: async (stage, step, grid, settings) => {
      if (!probe) return;
      const render = new GridRenderer(grid, settings).render(probe.camera);
      artifacts.push(
        imageArtifact(
          runDir,
          `stage-${stage}.png`,
          `${probe.name} after stage ${stage} (step ${step}): truth, render, depth`,
          truthBeside(probe, render, dataset),
        ),
      );
    },
  });
  bar.stop();
  const evaluation = evaluateViews(new GridRenderer(result.grid, result.settings), dataset.test);
  const metrics = { psnr: evaluation.psnr, ssim: evaluation.ssim };
  const wallSeconds = (performance.now() - started) / 1000;
  artifacts.push(...heldOutArtifacts(runDir, dataset, evaluation));
  saveRadianceModel(join(runDir, 'model.strf'), {
    grid: result.grid,
    settings: result.settings,
    meta: {
      task: 'radiance/voxel-grid',
      run: id,
      scene: dataset.name,
      data: flags.procedural ? 'procedural' : flags.data ? resolve(flags.data) : 'lego',
      res: flags.res,
      holdOutEvery: flags.holdOutEvery,
      seed: flags.seed,
    },
  });
  artifacts.push({ path: 'model.strf', caption: 'trained model (strata render --model)', kind: 'data' });
  const record: RunRecord = {
    ...centralizedRadianceHeader({ id, task: 'radiance/voxel-grid', scene: dataset.name, flags, options, wallSeconds, rounds }),
    final: {
      metrics,
      wallSeconds,
      trainSeconds: result.trainSeconds,
      steps: result.steps,
      rays: result.rays,
      raysPerSecond: result.rays / result.trainSeconds,
      samplesPerRay: result.samples / result.rays,
      gridDims: result.grid.geometry.dims,
      perView: evaluation.perView,
    },
    artifacts,
  };
  writeRunRecord(resolve(flags.runsDir), record);
  out(comparisonTable({ 'centralized voxel grid': metrics }, HEADLINE));
  out(
    `wall time ${wallSeconds.toFixed(1)} s (training ${result.trainSeconds.toFixed(1)} s, ${Math.round(result.rays / result.trainSeconds).toLocaleString('en')} rays/s); ` +
      `model ${join(runDir, 'model.strf')}; run record ${runDir}/run.json`,
  );
  if (flags.report) out(`report ${writeRunReport(runDir, record)}`);
}

/**
 * Task options from the federated flags, then --task-option (which the task's schema checks). The default
 * upload share needs the shared second moment: with each device's own Adam (`sharedSecondMoment=false`) it is 1.
 */
function federatedTaskOptions(flags: TrainRadianceFlags, isDefault: (flag: string) => boolean): Record<string, OptionValue> {
  const ownAdam = String(flags.taskOption?.sharedSecondMoment) === 'false';
  return {
    devices: flags.devices,
    threads: flags.threads,
    shDegree: flags.shDegree ?? 1,
    partition: flags.partition,
    ...(flags.grid !== undefined ? { grid: flags.grid } : {}),
    ...(flags.batch !== undefined ? { batchSize: flags.batch } : {}),
    imageRes: flags.res,
    contraction: flags.contraction,
    holdOutEvery: flags.holdOutEvery,
    procedural: flags.procedural ?? false,
    uploadShare: isDefault('uploadShare') && ownAdam ? 1 : flags.uploadShare,
    ...flags.taskOption,
  };
}

async function federatedCommand(flags: TrainRadianceFlags, isDefault: (flag: string) => boolean): Promise<void> {
  const config = parseRunConfig({
    task: voxelGridEntry.name,
    data: flags.procedural ? {} : { path: resolve(flags.data ?? blenderSceneDir('lego')) },
    seed: flags.seed,
    topology: { edges: flags.edges, devices: flags.devices },
    schedule: { rounds: flags.rounds, kappa1: flags.kappa1, kappa2: flags.kappa2, evalEvery: flags.evalEvery },
    compression: { dtype: flags.compression, errorFeedback: flags.errorFeedback, entropy: flags.entropy },
    downlink: { ...downlinkFromFlags(flags), entropy: flags.entropy },
    defences: defencesWithTaskDefaults(voxelGridEntry.name, { clipFactor: flags.clipFactor }),
    taskOptions: federatedTaskOptions(flags, isDefault),
    baselines: flags.baselines,
    report: flags.report,
    runsDir: flags.runsDir,
  });
  if (flags.dryRun) {
    const task = radianceVoxelGridTask(config);
    out(JSON.stringify({ config, task: task.describe() }, null, 2));
    await task.close();
    return;
  }
  await runFederatedRadiance(config);
}

/** The hierarchical run of `config` (task radiance/voxel-grid) with renders at several rounds in the report. */
export async function runFederatedRadiance(config: RunConfig): Promise<RunRecord> {
  const radiance = radianceVoxelGridTask(config);
  const { schedule } = config;
  out(
    `Strata: radiance/voxel-grid on ${radiance.dataset.name}, ${config.topology.edges} edges, ${radiance.numDevices} devices ` +
      `(${radiance.options.partition} partition), ${schedule.rounds} rounds, κ1=${schedule.kappa1} κ2=${schedule.kappa2}, ` +
      `${config.compression.dtype} updates of ${radiance.options.deviceOptions.uploadShare} of the touched voxels, ` +
      `${config.downlink.dtype} downlink (rows ${config.downlink.rowFraction}), grid ${radiance.geometry.dims.join('x')}`,
  );
  try {
    let baselines: Record<string, Record<string, number>> = {};
    if (config.baselines) {
      const bar = new ProgressBar('centralized baseline', 'steps');
      baselines = await radianceBaselines(config, radiance, {
        start: (total, detail) => bar.start(total, detail),
        tick: (detail) => bar.tick(detail),
      });
      bar.stop();
      out(comparisonTable(baselines, HEADLINE));
    }
    const { record, evaluatedRounds } = await radianceRoundsWithProgress(config, radiance, HEADLINE, out);
    record.baselines = baselines;
    record.artifacts = snapshotArtifacts(resolve(config.runsDir, record.id), radiance, evaluatedRounds);
    const model = radiance.lastEvaluatedModel;
    if (!model) throw new ConfigError('the federated run evaluated no model');
    saveRadianceModel(join(resolve(config.runsDir, record.id), 'model.strf'), {
      grid: radiance.grid(model),
      settings: radiance.settings,
      // What `strata render` needs to show the model as it was trained: the scene, its resolution and split.
      meta: {
        task: radiance.id,
        run: record.id,
        scene: radiance.dataset.name,
        data: config.taskOptions.procedural === true ? 'procedural' : (config.data.path ?? 'lego'),
        res: radiance.dataset.train[0]?.camera.width,
        holdOutEvery: config.taskOptions.holdOutEvery ?? 8,
        seed: config.seed,
      },
    });
    record.artifacts.push({ path: 'model.strf', caption: 'final global model (strata render --model)', kind: 'data' });
    const runDir = writeRunRecord(resolve(config.runsDir), record);
    out('');
    out(comparisonTable({ [`federated (${record.rounds.length} rounds)`]: record.final.metrics, ...baselines }, HEADLINE));
    out(`\nwall time ${record.final.wallSeconds.toFixed(1)} s; run record ${runDir}/run.json`);
    if (config.report) out(`report ${writeRunReport(runDir, record)}`);
    return record;
  } finally {
    await radiance.close();
  }
}

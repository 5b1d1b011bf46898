// What both radiance trainers (voxel grid, Gaussians) write into and beside a run record: a centralized run's
// header, the machine it ran on and images (held-out truth beside a render and its depth).

import { cpus, hostname } from 'node:os';
import { join, resolve } from 'node:path';
import type { RoundRecord, RunRecord } from '@strata/shared';
import {
  blenderSceneDir,
  depthToRgb,
  horizontalStrip,
  writeRgbPng,
  type RenderedView,
  type SceneDataset,
  type SceneView,
  type ViewEvaluation,
  type EvaluationSnapshot,
} from '@strata/tasks';

export type Artifact = NonNullable<RunRecord['artifacts']>[number];

/** The scene flags both centralized radiance commands take. */
interface SceneFlags {
  readonly procedural?: boolean;
  readonly data?: string;
  readonly res: number;
  readonly holdOutEvery: number;
}

/**
 * A centralized radiance run record's header: what ran (`task` with its `options`), on which scene (the
 * procedural one, or the data folder, lego by default), at what resolution, when it started (`wallSeconds` ago).
 */
export function centralizedRadianceHeader(run: {
  readonly id: string;
  readonly task: string;
  readonly scene: string;
  readonly flags: SceneFlags;
  readonly options: object;
  readonly wallSeconds: number;
  readonly rounds: RoundRecord[];
}): Omit<RunRecord, 'final' | 'artifacts' | 'baselines'> {
  const { flags } = run;
  return {
    id: run.id,
    task: run.task,
    mode: 'centralized',
    startedAt: new Date(Date.now() - run.wallSeconds * 1000).toISOString(),
    config: {
      scene: run.scene,
      data: flags.procedural ? 'procedural' : resolve(flags.data ?? blenderSceneDir('lego')),
      res: flags.res,
      holdOutEvery: flags.holdOutEvery,
      ...run.options,
    },
    environment: environment(),
    rounds: run.rounds,
  };
}

export function environment(): Record<string, unknown> {
  return { node: process.version, host: hostname(), cpus: cpus().length, cpuModel: cpus()[0]?.model, platform: process.platform };
}

/** Writes `<runDir>/<name>` and returns its artifact entry. */
export function imageArtifact(
  runDir: string,
  name: string,
  caption: string,
  image: { rgb: Float32Array; width: number; height: number },
): Artifact {
  writeRgbPng(join(runDir, name), image.rgb, image.width, image.height);
  return { path: name, caption, kind: 'image' };
}

export function truthBeside(
  truth: SceneView,
  render: RenderedView,
  dataset: SceneDataset,
): { rgb: Float32Array; width: number; height: number } {
  const { width, height } = truth.camera;
  return horizontalStrip([
    { width, height, rgb: truth.rgb },
    render,
    { width, height, rgb: depthToRgb(render, dataset.near, dataset.far) },
  ]);
}

/** The first three held-out views, each its truth beside the render and its depth, written as report images. */
export function heldOutArtifacts(runDir: string, dataset: SceneDataset, evaluation: ViewEvaluation): Artifact[] {
  return evaluation.renders.slice(0, 3).map((render, i) => {
    const truth = dataset.test[i];
    return imageArtifact(
      runDir,
      `final-view-${i}.png`,
      `held-out ${truth.name}: truth, render (PSNR ${evaluation.perView[i].psnr.toFixed(2)} dB), depth`,
      truthBeside(truth, render, dataset),
    );
  });
}

/** Ground truth beside the renders of the first held-out view at up to five evaluated rounds. */
export function snapshotArtifacts(
  runDir: string,
  task: { readonly snapshots: readonly EvaluationSnapshot[]; readonly dataset: SceneDataset },
  evaluatedRounds: readonly number[],
): Artifact[] {
  const snaps = task.snapshots;
  if (snaps.length === 0) return [];
  const pick = new Set<number>();
  for (let k = 0; k < 5; k++) pick.add(Math.round((k * (snaps.length - 1)) / 4));
  const chosen = [...pick].sort((a, b) => a - b).map((i) => snaps[i]);
  const artifacts: Artifact[] = [];
  const first = chosen[0].views[0];
  const images = [{ ...first.truth.camera, rgb: first.truth.rgb }, ...chosen.map((s) => s.views[0].render)];
  const rounds = chosen.map((s) => evaluatedRounds[s.evaluation - 1] ?? s.evaluation);
  artifacts.push(
    imageArtifact(
      runDir,
      'renders-by-round.png',
      `held-out ${first.name}: ground truth, then the global model at rounds ${rounds.join(', ')} ` +
        `(PSNR ${chosen.map((s) => s.views[0].psnr.toFixed(1)).join(', ')} dB)`,
      horizontalStrip(images),
    ),
  );
  const last = snaps[snaps.length - 1];
  for (const view of last.views) {
    artifacts.push(
      imageArtifact(
        runDir,
        `final-${view.name.replace(/[^a-z0-9]+/gi, '-')}.png`,
        `held-out ${view.name}: truth, final render (PSNR ${view.psnr.toFixed(2)} dB), depth`,
        truthBeside(view.truth, view.render, task.dataset),
      ),
    );
  }
  return artifacts;
}

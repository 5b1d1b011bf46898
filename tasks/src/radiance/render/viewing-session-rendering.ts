// The radiance task's side of viewing sessions: the edge's frame renderer (a parallel renderer of a voxel grid
// or of Gaussians behind the ViewFrameRenderer interface) and the device's own rendering (local frames, and co-rendering's warp of the
// edge's newest frame with holes filled by a low-resolution local render). A device CPU profile slows the
// device's work by a factor (it waits that much longer after each render), so one machine can stand in for
// a phone or a laptop; the edge renders at the machine's own speed.

import type { ViewFrame, ViewFrameRenderer, ViewSessionStart } from '@strata/shared';
import { ConfigError } from '@strata/shared';
import { focalFromFov, orbitCamera, type Camera } from '../data/camera.js';
import type { VoxelGrid } from '../model/voxel-grid.js';
import type { MarchSettings } from '../model/march-settings.js';
import { GridRenderer } from './grid-renderer.js';
import { SplatViewRenderer } from './gaussian-view.js';
import type { CompactGaussians } from '../io/compact-gaussian-decode.js';
import type { RenderQuality } from './parallel-frame-renderer.js';
import type { RenderedView } from './grid-renderer.js';
import { fastMarchSettings, upsampleView } from './fast-march.js';
import { fillWarpHoles, warpDepthFrame } from './depth-warp.js';

type Matrix = readonly (readonly number[])[];
type Row = [number, number, number, number];
/** A camera-to-world pose as sessions carry it (4 rows of 4). */
export type PoseMatrix = [Row, Row, Row, Row];

/** The camera of a 4x4 camera-to-world pose at a size and horizontal field of view. */
export function poseCamera(cameraToWorld: Matrix, width: number, height: number, fovXDegrees: number): Camera {
  return { width, height, focal: focalFromFov((fovXDegrees * Math.PI) / 180, width), c2w: cameraToWorld.slice(0, 3).flat() };
}

/** A camera's pose as the 4x4 matrix sessions carry. */
export function cameraPose(camera: Camera): PoseMatrix {
  const m = camera.c2w;
  return [
    [m[0], m[1], m[2], m[3]],
    [m[4], m[5], m[6], m[7]],
    [m[8], m[9], m[10], m[11]],
    [0, 0, 0, 1],
  ];
}

export interface OrbitPathOptions {
  readonly poses: number;
  /** Poses per second the path is sampled at. */
  readonly rateHz: number;
  /** How fast the camera orbits (a head turn is about 30-90 degrees per second). */
  readonly degreesPerSecond: number;
  readonly elevationDegrees: number;
  /** Distance from the scene's origin. */
  readonly radius: number;
}

/** A viewing session's camera path: `poses` poses orbiting the origin, one per tick of `rateHz`. */
export function orbitPath(options: OrbitPathOptions): PoseMatrix[] {
  const elevation = (options.elevationDegrees * Math.PI) / 180;
  return Array.from({ length: options.poses }, (_, k) =>
    // The pose does not depend on the image size: any size and focal length give the same c2w.
    cameraPose(orbitCamera(((options.degreesPerSecond * k) / options.rateHz) * (Math.PI / 180), elevation, options.radius, 1, 1, 1)),
  );
}

/** What the edge renders frames with: ParallelGridRenderer (voxel grid) or ParallelSplatRenderer (Gaussians). */
export interface ParallelViewRenderer {
  whenReady(): Promise<void>;
  /** Depth: distance along the pixel's unit ray (0 where nothing was hit). */
  render(camera: Camera, quality?: RenderQuality): Promise<RenderedView>;
  /** Hands a returned frame back for a later frame's buffers (ParallelFrameRenderer.recycle). */
  recycle(frame: RenderedView): void;
  close(): Promise<void>;
}

/** What a device renders its own frames with, on its one thread: a GridRenderer or a SplatViewRenderer. */
export interface LocalViewRenderer {
  render(camera: Camera): RenderedView;
}

/** The edge's frame renderer over a parallel renderer. */
export class RadianceFrameRenderer implements ViewFrameRenderer {
  constructor(
    private readonly renderer: ParallelViewRenderer,
    readonly near: number,
    readonly far: number,
  ) {}

  ready(): Promise<void> {
    return this.renderer.whenReady();
  }

  async renderFrame(
    cameraToWorld: Matrix,
    view: Pick<ViewSessionStart, 'width' | 'height' | 'fovXDegrees' | 'quality'>,
  ): Promise<ViewFrame> {
    return this.renderer.render(poseCamera(cameraToWorld, view.width, view.height, view.fovXDegrees), view.quality);
  }

  recycle(frame: ViewFrame): void {
    this.renderer.recycle(frame);
  }
}

export interface ViewerDeviceOptions {
  readonly width: number;
  readonly height: number;
  readonly fovXDegrees: number;
  /** The device's CPU relative to one core of this machine: its work takes 1 / speed as long. */
  readonly cpuSpeed: number;
  /** Local frames: the fast march (default), or draft (fast at half the width and height, upsampled). */
  readonly quality?: 'fast' | 'draft';
  /** Co-rendering's fill is rendered at 1 / fillDivisor of the frame's width and height (default 4). */
  readonly fillDivisor?: number;
}

/**
 * A device holding the model: renders locally (its fast renderer, one thread) and composes co-rendered frames.
 * `renderer` is the voxel grid's fast march (`forGrid`) or a SplatViewRenderer at its fast setting.
 */
export class RadianceViewerDevice {
  constructor(
    private readonly renderer: LocalViewRenderer,
    readonly near: number,
    readonly far: number,
    private readonly options: ViewerDeviceOptions,
  ) {
    if (!(options.cpuSpeed > 0) || !Number.isFinite(options.cpuSpeed))
      throw new ConfigError(`viewer device: cpuSpeed ${options.cpuSpeed} must be positive`);
  }

  /** A device holding a voxel grid: the fast march of its settings. */
  static forGrid(grid: VoxelGrid, settings: MarchSettings, options: ViewerDeviceOptions): RadianceViewerDevice {
    return new RadianceViewerDevice(new GridRenderer(grid, fastMarchSettings(settings)), settings.near, settings.far, options);
  }

  /**
   * A device holding a compact Gaussian file: its cloud, with the scene's depth range and background from the
   * file's meta (the edge's task writes them; the depth frames it streams are quantised to that range).
   */
  static forCompactGaussians({ cloud, meta }: CompactGaussians, options: ViewerDeviceOptions): RadianceViewerDevice {
    const { near, far, background } = meta as { near?: unknown; far?: unknown; background?: unknown };
    if (typeof near !== 'number' || typeof far !== 'number' || !(near > 0 && far > near && Number.isFinite(far))) {
      throw new ConfigError(`compact Gaussian model: meta near ${near} and far ${far} must be numbers with 0 < near < far`);
    }
    if (!Array.isArray(background) || background.length !== 3 || background.some((c) => typeof c !== 'number' || !(c >= 0 && c <= 1))) {
      throw new ConfigError(`compact Gaussian model: meta background ${JSON.stringify(background)} must be three numbers in [0, 1]`);
    }
    return new RadianceViewerDevice(new SplatViewRenderer(cloud, background as [number, number, number]), near, far, options);
  }

  async renderLocal(cameraToWorld: Matrix): Promise<Float32Array> {
    const { width, height, fovXDegrees } = this.options;
    if (this.options.quality === 'draft') {
      const half = poseCamera(cameraToWorld, Math.max(1, Math.round(width / 2)), Math.max(1, Math.round(height / 2)), fovXDegrees);
      return this.timed(() => upsampleView(this.renderer.render(half), width, height).rgb);
    }
    return this.timed(() => this.renderer.render(poseCamera(cameraToWorld, width, height, fovXDegrees)).rgb);
  }

  async compose(
    frame: { cameraToWorld: Matrix; rgb: Float32Array; depth: Float32Array } | undefined,
    cameraToWorld: Matrix,
  ): Promise<Float32Array> {
    const { width, height, fovXDegrees } = this.options;
    const divisor = this.options.fillDivisor ?? 4;
    return this.timed(() => {
      const target = poseCamera(cameraToWorld, width, height, fovXDegrees);
      const fillCamera = poseCamera(
        cameraToWorld,
        Math.max(1, Math.round(width / divisor)),
        Math.max(1, Math.round(height / divisor)),
        fovXDegrees,
      );
      const fill = this.renderer.render(fillCamera);
      if (!frame)
        return fillWarpHoles({ width, height, rgb: new Float32Array(3 * width * height), covered: new Uint8Array(width * height) }, fill);
      const opacity = new Float32Array(frame.depth.length);
      for (let i = 0; i < opacity.length; i++) opacity[i] = frame.depth[i] > 0 ? 1 : 0;
      const source = { camera: poseCamera(frame.cameraToWorld, width, height, fovXDegrees), rgb: frame.rgb, depth: frame.depth, opacity };
      return fillWarpHoles(warpDepthFrame(source, target), fill);
    });
  }

  /** Runs `work` and then waits as long again as a device of this CPU speed would have taken longer. */
  private async timed<T>(work: () => T): Promise<T> {
    const started = performance.now();
    const result = work();
    const extra = (performance.now() - started) * (1 / this.options.cpuSpeed - 1);
    if (extra > 0) await new Promise((resolve) => setTimeout(resolve, extra));
    return result;
  }
}

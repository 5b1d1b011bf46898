// Answers render requests (a camera as a matrix or an orbit pose, colour or depth) with PNG images of a
// voxel-grid model: what an edge serves its devices at POST /render, and what a device renders locally
// with the same code, so the two images are the same.

import { ConfigError, type ModelParams, type ViewImage, type ViewRenderer, type ViewRequest } from '@strata/shared';
import { focalFromFov, orbitCamera, type Camera } from '../data/camera.js';
import { encodeRgbPng } from '../data/png-file.js';
import { depthToRgb, type GridRenderer } from './grid-renderer.js';

export class RadianceViewRenderer implements ViewRenderer {
  /** The renderer of the last model asked for: building one computes the model's occupancy. */
  private last: { model: ModelParams; renderer: GridRenderer } | undefined;

  /** `near`/`far`: the scene's depth range, for depth images. */
  constructor(
    private readonly rendererFor: (model: ModelParams) => GridRenderer,
    private readonly near: number,
    private readonly far: number,
  ) {}

  async renderView(model: ModelParams, request: ViewRequest): Promise<ViewImage> {
    if (this.last?.model !== model) this.last = { model, renderer: this.rendererFor(model) };
    const view = this.last.renderer.render(viewRequestCamera(request));
    const rgb = request.depth ? depthToRgb(view, this.near, this.far) : view.rgb;
    return { width: view.width, height: view.height, png: encodeRgbPng(rgb, view.width, view.height) };
  }
}

/** The camera a request describes (its 4x4 matrix's top three rows, or its orbit pose). */
export function viewRequestCamera(request: ViewRequest): Camera {
  const { width, height } = request;
  const focal = focalFromFov((request.fovXDegrees * Math.PI) / 180, width);
  if (request.cameraToWorld) return { width, height, focal, c2w: request.cameraToWorld.slice(0, 3).flat() };
  const orbit = request.orbit;
  if (!orbit) throw new ConfigError('render request: cameraToWorld or orbit is needed');
  const radians = Math.PI / 180;
  return orbitCamera(
    orbit.azimuthDegrees * radians,
    orbit.elevationDegrees * radians,
    orbit.radius,
    width,
    height,
    focal,
    orbit.target ?? [0, 0, 0],
  );
}

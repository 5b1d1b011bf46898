// One voxel-grid device's data as a page carries it (a browser device keeps it in IndexedDB): its training views
// (cameras and pixels, the pixels as base64 float32 so they are the Node device's to the bit), the grid's
// geometry and march settings and the seed, so a device built from it trains exactly as the Node device of
// that partition does. A demo split comes from an edge given the task (`radianceDeviceData`); a user's own
// file is the same JSON, so everything in it is checked before a device is built (`radianceDeviceFromData`).

import { z } from 'zod';
import { ConfigError, DataError, StrataError } from '@strata/shared';
import type { SceneView } from '../data/scene-dataset.js';
import { base64ToFloat32, float32ToBase64 } from '../data/float32-base64.js';
import { gridPointCount, validateAabb, type GridGeometry } from '../model/grid-geometry.js';
import { validateMarchSettings, type MarchSettings } from '../model/march-settings.js';
import { buildRaySet } from '../kernels/build-ray-set.js';
import { InlineGridTrainer } from '../train/grid-trainer.js';
import { restorePrivateArrays, type DevicePrivateState, type RestorableDevice } from '../../recsys/device-data/device-private-state.js';
import { DeviceTrainingPool } from './device-training-pool.js';
import { RadianceDevice } from './radiance-device.js';
import { RADIANCE_TASK_ID } from './radiance-task-options.js';
import type { RadianceVoxelGridTask } from './radiance-voxel-grid-task.js';

/** Rays (pixels) a device's views may hold in all: 36 bytes of ray data each, about 150 MB at this bound. */
export const MAX_DEVICE_RAYS = 1 << 22;
/** Grid points a device page may be asked to train (its buffers hold several floats per point and channel). */
export const MAX_DEVICE_GRID_POINTS = 1 << 24;

const vec3 = z.tuple([z.number(), z.number(), z.number()]);
const distortionSchema = z.discriminatedUnion('model', [
  z.strictObject({
    model: z.literal('radial-tangential'),
    radial: z.array(z.number()).max(6),
    radialDenominator: z.array(z.number()).max(3),
    p1: z.number(),
    p2: z.number(),
  }),
  z.strictObject({ model: z.literal('fisheye'), coefficients: z.array(z.number()).max(6) }),
]);
const side = z.number().int().min(1).max(4096);
const viewSchema = z.strictObject({
  name: z.string().max(256),
  camera: z.strictObject({
    width: side,
    height: side,
    focal: z.number().positive(),
    focalY: z.number().positive().optional(),
    cx: z.number().optional(),
    cy: z.number().optional(),
    distortion: distortionSchema.nullable().optional(),
    c2w: z.array(z.number()).length(12),
  }),
  /** width × height × 3 float32 in [0, 1], row by row, little-endian, base64. */
  rgb: z.string(),
});

export const radianceDeviceDataSchema = z.strictObject({
  task: z.literal(RADIANCE_TASK_ID),
  /** The device's partition (its index in the task's view split). */
  device: z.number().int().min(0),
  /** The task's seed, which seeds the device's ray sampling (as `createDevice` does). */
  seed: z.number().int(),
  geometry: z.strictObject({
    dims: z.tuple([z.number().int().min(2), z.number().int().min(2), z.number().int().min(2)]),
    bbox: z.strictObject({ min: vec3, max: vec3 }),
  }),
  shDegree: z.number().int().min(0).max(2),
  sharedSecondMoment: z.boolean(),
  settings: z.strictObject({
    near: z.number(),
    far: z.number(),
    stepRatio: z.number(),
    background: vec3,
    densityShift: z.number(),
    densityUnit: z.number(),
    terminationT: z.number(),
    weightThreshold: z.number(),
    occupancyAlpha: z.number(),
    contraction: z.strictObject({ center: vec3, radius: z.number(), outer: z.number() }).nullable().optional(),
  }),
  views: z.array(viewSchema).min(1).max(10_000),
});

export type RadianceDeviceData = z.output<typeof radianceDeviceDataSchema>;

/** Device `index`'s data in `task`: its views as `task.createDevice(index)` trains on them. */
export function radianceDeviceData(task: RadianceVoxelGridTask, index: number): RadianceDeviceData {
  if (!Number.isInteger(index) || index < 0 || index >= task.numDevices) {
    throw new ConfigError(`${task.id} device index ${index} is out of range [0, ${task.numDevices})`);
  }
  const json = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;
  return {
    task: RADIANCE_TASK_ID,
    device: index,
    seed: task.options.seed,
    geometry: json(task.geometry) as RadianceDeviceData['geometry'],
    shDegree: task.options.shDegree,
    sharedSecondMoment: task.options.sharedSecondMoment,
    settings: json(task.settings) as RadianceDeviceData['settings'],
    views: task.partitions[index].map((view) => ({
      name: view.name,
      camera: json(view.camera) as RadianceDeviceData['views'][number]['camera'],
      rgb: float32ToBase64(view.rgb),
    })),
  };
}

/** A voxel-grid device a page runs: the task's device, its views' shape for the page to show. */
export interface RadianceDataDevice extends RestorableDevice {
  readonly views: number;
  readonly rays: number;
  readonly imageSize: string;
}

/**
 * The device `data` describes, training inline (one thread: a page's Web Worker); `data` is untrusted (a user's
 * file): a DataError names what is wrong with it.
 */
export function radianceDeviceFromData(data: unknown): RadianceDataDevice {
  const parsed = radianceDeviceDataSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new DataError(`device data: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  const { device, seed, shDegree, sharedSecondMoment } = parsed.data;
  const geometry: GridGeometry = parsed.data.geometry;
  const settings: MarchSettings = parsed.data.settings;
  const what = `${RADIANCE_TASK_ID} device data`;
  try {
    validateAabb(geometry.bbox, `${what}: geometry`);
    validateMarchSettings(settings);
  } catch (error) {
    throw error instanceof StrataError ? new DataError(`${what}: ${error.message}`) : error;
  }
  const points = gridPointCount(geometry);
  if (points > MAX_DEVICE_GRID_POINTS) throw new DataError(`${what}: the grid has ${points} points, at most ${MAX_DEVICE_GRID_POINTS}`);
  let rays = 0;
  const views: SceneView[] = parsed.data.views.map(({ name, camera, rgb: text }, k) => {
    rays += camera.width * camera.height;
    if (rays > MAX_DEVICE_RAYS) throw new DataError(`${what}: the views hold more than ${MAX_DEVICE_RAYS} pixels`);
    const rgb = base64ToFloat32(text, camera.width * camera.height * 3, `${what}: views.${k}.rgb`);
    const outside = rgb.findIndex((c) => !(c >= 0 && c <= 1));
    if (outside >= 0) throw new DataError(`${what}: views.${k}.rgb holds ${rgb[outside]} at ${outside}, outside [0, 1]`);
    return { name, camera, rgb };
  });
  const trainer = new RadianceDevice({
    index: device,
    geometry,
    shDegree,
    settings,
    rays: buildRaySet(views),
    seed,
    pool: new DeviceTrainingPool(1, settings, sharedSecondMoment, () => new InlineGridTrainer()),
  });
  const { width, height } = views[0].camera;
  return {
    views: views.length,
    rays: trainer.numSamples,
    imageSize: views.every((v) => v.camera.width === width && v.camera.height === height) ? `${width}×${height}` : 'mixed sizes',
    numSamples: trainer.numSamples,
    train: (model, options) => trainer.train(model, options),
    // Devices of this task keep nothing across rounds but what pruned uploads hold back, which a reload drops.
    privateState: (): DevicePrivateState => ({}),
    restorePrivateState: (state) => restorePrivateArrays(what, {}, state),
  };
}

// A device built from the data a page keeps (a browser device), whatever its task: the recommenders' user splits
// and the voxel grid's views, chosen by the data's `task`. It also says what the device is, for the page to
// show, and how much work a training did, so the page's speed figure and the browser-vs-Node bench count alike.

import { DataError, type LocalTrainOptions, type ModelUpdate } from '@strata/shared';
import { RECSYS_DEVICE_TASKS, recsysDeviceFromData } from './recsys/device-data/recsys-device-data.js';
import type { RestorableDevice } from './recsys/device-data/device-private-state.js';
import { radianceDeviceFromData } from './radiance/federated/radiance-device-data.js';
import { RADIANCE_TASK_ID } from './radiance/federated/radiance-task-options.js';

/** The tasks whose devices a page can build from their data. */
export const DATA_DEVICE_TASKS = [...RECSYS_DEVICE_TASKS, RADIANCE_TASK_ID] as const;

export interface DataDevice {
  readonly task: (typeof DATA_DEVICE_TASKS)[number];
  readonly trainer: RestorableDevice;
  /** What the device holds, in a line (`user 12: 40 training items, 10 held out`). */
  readonly summary: string;
  /** What a training steps through: BPR triples (user, positive, negative) or rays. */
  readonly unit: 'triples' | 'rays';
  /** The units one training stepped through. */
  work(update: ModelUpdate, options: LocalTrainOptions): number;
}

/** The device `data` describes; `data` is untrusted (a user's file): a DataError names what is wrong with it. */
export function deviceFromData(data: unknown): DataDevice {
  const task = typeof data === 'object' && data !== null ? (data as { task?: unknown }).task : undefined;
  if (task === RADIANCE_TASK_ID) {
    const trainer = radianceDeviceFromData(data);
    return {
      task,
      trainer,
      summary: `${trainer.views} views of ${trainer.imageSize} (${trainer.rays.toLocaleString('en')} rays)`,
      unit: 'rays',
      // A radiance update's weight is the rays it trained.
      work: (update) => update.weight,
    };
  }
  if (RECSYS_DEVICE_TASKS.includes(task as (typeof RECSYS_DEVICE_TASKS)[number])) {
    const trainer = recsysDeviceFromData(data);
    const { userId, trainItems, testItems } = data as { userId: string; trainItems: unknown[]; testItems: unknown[] };
    return {
      task: task as (typeof RECSYS_DEVICE_TASKS)[number],
      trainer,
      summary: `user ${userId}: ${trainItems.length} training items, ${testItems.length} held out`,
      unit: 'triples',
      // A recommender update's weight is the user's positives; each local epoch pairs each with `negatives`.
      work: (update, options) => update.weight * options.localSteps * (options.options.negatives ?? 1),
    };
  }
  throw new DataError(`device data: task ${JSON.stringify(task)} is not one of ${DATA_DEVICE_TASKS.join(', ')}`);
}

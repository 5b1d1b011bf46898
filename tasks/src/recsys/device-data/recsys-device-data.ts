// One recommender device's data as a page carries it (a browser device keeps it in IndexedDB): the task, the
// user's training and held-out items, the item count and the task's options, so a device built from it trains
// exactly as the Node device of that user does. A demo split comes from the host (`recsysDeviceData`); a
// user's own file is the same JSON, so everything in it is checked before a device is built
// (`recsysDeviceFromData`).

import { z } from 'zod';
import { ConfigError, DataError, type EvaluationSums, type ModelParams } from '@strata/shared';
import { BprMfDevice } from '../bpr-mf/bpr-mf-device.js';
import type { BprMfTask } from '../bpr-mf/bpr-mf-task.js';
import { resolveBprMfTaskOptions } from '../bpr-mf/bpr-mf-task-options.js';
import { NeuMFDevice } from '../neumf/neumf-device.js';
import type { NeuMFTask } from '../neumf/neumf-task.js';
import { resolveNeuMFTaskOptions } from '../neumf/neumf-task-options.js';
import type { RestorableDevice } from './device-private-state.js';

/** Larger than any item table a device page can hold in memory anyway. */
const MAX_ITEMS = 50_000_000;
const itemList = z.array(z.number().int().min(0)).max(1_000_000);

/** The recommender tasks whose devices are built from their data. */
export const RECSYS_DEVICE_TASKS = ['recsys/bpr-mf', 'recsys/neumf'] as const;

export const recsysDeviceDataSchema = z.strictObject({
  task: z.enum(RECSYS_DEVICE_TASKS),
  /** The device's partition (user index in the task's split). */
  user: z.number().int().min(0),
  /** The user's original id, which seeds the device (as `createDevice` does). */
  userId: z.string().min(1).max(256),
  numItems: z.number().int().min(1).max(MAX_ITEMS),
  trainItems: itemList,
  testItems: itemList,
  /** The task's options, seed included (the task's `options`). */
  options: z.record(z.string(), z.unknown()),
});

export type RecsysDeviceData = z.output<typeof recsysDeviceDataSchema>;

/** Device `index`'s data in `task` (its split, as `task.createDevice(index)` holds it). */
export function recsysDeviceData(task: BprMfTask | NeuMFTask, index: number): RecsysDeviceData {
  if (!Number.isInteger(index) || index < 0 || index >= task.numDevices) {
    throw new ConfigError(`${task.id} device index ${index} is out of range [0, ${task.numDevices})`);
  }
  return {
    task: task.id,
    user: index,
    userId: task.data.userIds[index],
    numItems: task.split.numItems,
    trainItems: [...task.split.train[index]],
    testItems: [...task.split.test[index]],
    options: JSON.parse(JSON.stringify(task.options)) as Record<string, unknown>,
  };
}

/** A recommender device a page runs: it evaluates itself on its held-out items. */
export interface RecsysDataDevice extends RestorableDevice {
  readonly numItems: number;
  evaluate(model: ModelParams): Promise<EvaluationSums>;
}

/** The device `data` describes; `data` is untrusted (a user's file): a DataError names what is wrong with it. */
export function recsysDeviceFromData(data: unknown): RecsysDataDevice {
  const parsed = recsysDeviceDataSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new DataError(`device data: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  const { task, user, userId, numItems, trainItems, testItems, options } = parsed.data;
  const sorted = (name: string, items: readonly number[]): Int32Array => {
    const outside = items.find((item) => item >= numItems);
    if (outside !== undefined) throw new DataError(`${task} device data: ${name} holds item ${outside}, outside [0, ${numItems})`);
    const list = Int32Array.from(items).sort();
    for (let k = 1; k < list.length; k++) {
      if (list[k] === list[k - 1]) throw new DataError(`${task} device data: ${name} holds item ${list[k]} twice`);
    }
    return list;
  };
  const train = sorted('trainItems', trainItems);
  if (train.length >= numItems) {
    throw new DataError(`${task} device data: trainItems holds all ${numItems} items, so no negative can be sampled`);
  }
  const test = sorted('testItems', testItems);
  return task === 'recsys/bpr-mf'
    ? new BprMfDevice(user, train, test, numItems, resolveBprMfTaskOptions(options), userId)
    : new NeuMFDevice(user, train, test, numItems, resolveNeuMFTaskOptions(options), userId);
}

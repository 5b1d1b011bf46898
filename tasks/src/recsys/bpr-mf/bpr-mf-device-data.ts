// One BPR-MF device's data as a page carries it (a browser device keeps it in IndexedDB): the user's training
// and held-out items, the item count and the task's options, so a device built from it trains exactly as the
// Node device of that user does. A demo split comes from the host (`bprMfDeviceData`); a user's own file is
// the same JSON, so everything in it is checked before a device is built (`bprMfDeviceFromData`).

import { z } from 'zod';
import { ConfigError, DataError } from '@strata/shared';
import { BprMfDevice } from './bpr-mf-device.js';
import type { BprMfTask } from './bpr-mf-task.js';
import { resolveBprMfTaskOptions } from './bpr-mf-task-options.js';

/** Larger than any item table a device page can hold in memory anyway. */
const MAX_ITEMS = 50_000_000;
const itemList = z.array(z.number().int().min(0)).max(1_000_000);

export const bprMfDeviceDataSchema = z.strictObject({
  task: z.literal('recsys/bpr-mf'),
  /** The device's partition (user index in the task's split). */
  user: z.number().int().min(0),
  /** The user's original id, which seeds the device (as `createDevice` does). */
  userId: z.string().min(1).max(256),
  numItems: z.number().int().min(1).max(MAX_ITEMS),
  trainItems: itemList,
  testItems: itemList,
  /** The task's options, seed included (`BprMfTask.options`). */
  options: z.record(z.string(), z.unknown()),
});

export type BprMfDeviceData = z.output<typeof bprMfDeviceDataSchema>;

/** Device `index`'s data in `task` (its split, as `task.createDevice(index)` holds it). */
export function bprMfDeviceData(task: BprMfTask, index: number): BprMfDeviceData {
  if (!Number.isInteger(index) || index < 0 || index >= task.numDevices) {
    throw new ConfigError(`bpr-mf device index ${index} is out of range [0, ${task.numDevices})`);
  }
  return {
    task: 'recsys/bpr-mf',
    user: index,
    userId: task.data.userIds[index],
    numItems: task.split.numItems,
    trainItems: [...task.split.train[index]],
    testItems: [...task.split.test[index]],
    options: { ...task.options, ks: [...task.options.ks] },
  };
}

/** The device `data` describes; `data` is untrusted (a user's file): a DataError names what is wrong with it. */
export function bprMfDeviceFromData(data: unknown): BprMfDevice {
  const parsed = bprMfDeviceDataSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new DataError(`bpr-mf device data: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  const { user, userId, numItems, trainItems, testItems, options } = parsed.data;
  const sorted = (name: string, items: readonly number[]): Int32Array => {
    const outside = items.find((item) => item >= numItems);
    if (outside !== undefined) throw new DataError(`bpr-mf device data: ${name} holds item ${outside}, outside [0, ${numItems})`);
    const list = Int32Array.from(items).sort();
    for (let k = 1; k < list.length; k++) {
      if (list[k] === list[k - 1]) throw new DataError(`bpr-mf device data: ${name} holds item ${list[k]} twice`);
    }
    return list;
  };
  const train = sorted('trainItems', trainItems);
  if (train.length >= numItems) {
    throw new DataError(`bpr-mf device data: trainItems holds all ${numItems} items, so no negative can be sampled`);
  }
  return new BprMfDevice(user, train, sorted('testItems', testItems), numItems, resolveBprMfTaskOptions(options), userId);
}

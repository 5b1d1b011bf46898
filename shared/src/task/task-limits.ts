// What a device of a task can truthfully send, which the edge checks every answer against before it counts:
// every number a device sends is untrusted. The coordinator asks its task for these (it knows the data and the
// schedule), and every edge job carries them, so edges stay task-agnostic.

import { z } from 'zod';

const bound = z
  .number()
  .min(0)
  .refine((v) => !Number.isNaN(v), 'must be a number');

export const taskLimitsSchema = z.strictObject({
  /** The largest aggregation weight any device may claim (samples, rays): a larger one is clipped to it. */
  maxDeviceWeight: bound,
  /** A row weight above `base + perWeight × (the update's weight)` is clipped to it (rows observed per sample). */
  maxRowWeight: z.strictObject({ base: bound, perWeight: bound }),
  /** The largest count one device's evaluation may report (a device holding one user: 1). */
  maxEvaluationCount: bound,
  /**
   * The range of each metric a device evaluates, per counted item: a sum outside [low × count, high × count]
   * is refused, and so is a metric the task does not name.
   */
  metricRanges: z.record(z.string(), z.tuple([z.number(), z.number()])),
});

export type TaskLimits = z.output<typeof taskLimitsSchema>;

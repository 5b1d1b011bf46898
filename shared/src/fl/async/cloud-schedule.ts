// How the cloud aggregates its edges in time. `sync` (the default): one flow per cloud round, every region's
// edge round awaited (or its deadline), one aggregation. `fedbuff` / `fedasync`: each edge gets its next edge
// round as soon as its previous result is in, on the newest global model; the coordinator steps every
// `bufferSize` edge results (FedBuff) or on each one (FedAsync), each delta scaled by s(τ) = (1 + τ)^−a, τ
// counting the global versions made since the model the edge's job named. A cloud round is then one server
// step (one global version). The fields mean what they mean for an edge (async-schedule.ts); the defaults
// fit a handful of regions rather than hundreds of devices.

import { z } from 'zod';
import { asyncScheduleSchema } from './async-schedule.js';

export const cloudScheduleSchema = asyncScheduleSchema
  .extend({
    /** Edge results per cloud step (FedBuff's K): with R regions, K < R lets fast regions step without the slowest. */
    bufferSize: z.number().int().min(1).default(1),
    /** Edge results based on a global model more than this many versions old are refused (too_stale). */
    maxStaleness: z.number().int().min(0).default(4),
  })
  .strict();

export type CloudSchedule = z.output<typeof cloudScheduleSchema>;

export const DEFAULT_CLOUD_SCHEDULE: CloudSchedule = cloudScheduleSchema.parse({});

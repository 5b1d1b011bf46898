// The HierFAVG schedule (Liu et al. 2020, "Client-Edge-Cloud Hierarchical Federated Learning"): devices run
// κ1 local steps per edge aggregation, edges run κ2 edge aggregations per cloud round. Each edge iteration
// selects a fraction of its connected devices and aggregates once a quorum of them has answered or the
// deadline has passed; later answers are counted as dropped stragglers. With an asynchronous mode (FedBuff,
// FedAsync) an edge round is instead κ2 × bufferSize device updates taken as they come (async-schedule.ts);
// with an asynchronous `cloud` schedule a cloud round is one server step over the edge results as they come.

import { z } from 'zod';
import { parseConfig } from '../config/parse-config.js';
import { asyncScheduleSchema } from './async/async-schedule.js';
import { DEFAULT_CLOUD_SCHEDULE, cloudScheduleSchema } from './async/cloud-schedule.js';

export const hierFavgScheduleSchema = z
  .object({
    /** Cloud rounds to run. */
    rounds: z.number().int().min(1).default(40),
    /** κ1: local steps per edge aggregation (what a step is, the task says). */
    kappa1: z.number().int().min(1).default(1),
    /** κ2: edge aggregations per cloud round. */
    kappa2: z.number().int().min(1).default(1),
    /** Fraction of an edge's connected devices selected per edge iteration. */
    fraction: z.number().gt(0).max(1).default(1),
    /** Fraction of the selected devices whose answers close an edge iteration early. */
    quorum: z.number().gt(0).max(1).default(1),
    /** Deadline for one edge iteration (seconds). */
    edgeDeadlineSeconds: z.number().positive().default(120),
    /** Deadline for one cloud round (seconds); the coordinator aggregates the edges that answered by then. */
    roundDeadlineSeconds: z.number().positive().default(900),
    /** Evaluate every n cloud rounds (0: only at the end). */
    evalEvery: z.number().int().min(0).default(1),
    /** How edges aggregate their devices in time: sync (the above), fedbuff or fedasync (async-schedule.ts). */
    ...asyncScheduleSchema.shape,
    /** How the cloud aggregates its edges in time: sync (a flow per round), fedbuff or fedasync (cloud-schedule.ts). */
    cloud: cloudScheduleSchema.default(DEFAULT_CLOUD_SCHEDULE),
  })
  .strict();

export type HierFavgSchedule = z.output<typeof hierFavgScheduleSchema>;

export function parseSchedule(input: unknown): HierFavgSchedule {
  return parseConfig(hierFavgScheduleSchema, input ?? {}, 'schedule');
}

/** How many answers close an edge iteration that selected `selected` devices. */
export function quorumSize(selected: number, quorum: number): number {
  return Math.min(selected, Math.max(1, Math.ceil(selected * quorum - 1e-9)));
}

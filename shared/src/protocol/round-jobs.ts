// The job payloads of a cloud round's flow (parent `cloud-round` on the cloud queue, one child per region),
// as zod schemas: both ends check what crossed the queue. Job data holds ids, blob keys and small numbers,
// never tensors.

import { z } from 'zod';
import { InvalidJobError } from '../errors.js';
import { asyncScheduleSchema } from '../fl/async/async-schedule.js';
import { hierFavgScheduleSchema } from '../fl/hierfavg-schedule.js';
import { taskLimitsSchema } from '../task/task-limits.js';
import { secureAggregationSchema } from '../config/secure-aggregation-config.js';
import { downlinkSchema } from './model-downlink.js';

export const CLOUD_QUEUE = 'strata-cloud';

export function regionQueue(region: string): string {
  return `strata-region-${region}`;
}

export function modelBlobKey(version: number): string {
  return `strata:model:${version}`;
}

/**
 * The model edges hold at `version` when the run's downlink is lossy (the coordinator's replica of it, see
 * EdgeModelPublisher); with a lossless downlink they hold the global model itself, modelBlobKey's.
 */
export function edgeModelBlobKey(version: number): string {
  return `strata:edge-model:${version}`;
}

/** The patch from the model edges hold at `version` - 1 to the one at `version`. */
export function modelPatchBlobKey(version: number): string {
  return `strata:model-patch:${version}`;
}

/** Whose cloud-side state a server-state blob holds: the coordinator's strategy's or its task's. */
export type ServerStatePart = 'strategy' | 'task';

/** Where the coordinator saves what `part` keeps between rounds (KeepsServerState) at model version `version`. */
export function serverStateBlobKey(version: number, part: ServerStatePart): string {
  return `strata:server-state:${version}:${part}`;
}

export function edgeUpdateBlobKey(roundId: string, region: string): string {
  return `strata:update:${roundId}:${region}`;
}

export const EDGE_JOB_KINDS = ['edge-round', 'edge-evaluate'] as const;
export type EdgeJobKind = (typeof EDGE_JOB_KINDS)[number];

const count = z.number().int().min(0);
const finite = z.number().refine(Number.isFinite, 'must be a finite number');

/** What the coordinator puts in every `edge-round` / `edge-evaluate` job: ids, keys and small numbers. */
export const edgeRoundJobSchema = z.strictObject({
  roundId: z.string().min(1).max(256),
  round: count,
  version: count,
  /** The whole model the edge is to hold (read when it holds no model the patch applies to). */
  modelKey: z.string().min(1).max(256),
  /**
   * The patch blob to that model from the one edges held at the version before (`baseChecksum`: its
   * modelChecksum; `checksum`: the model's after the patch). An edge holding another model reads modelKey.
   */
  modelPatch: z
    .strictObject({
      key: z.string().min(1).max(256),
      baseChecksum: z.number().int().min(0).max(0xffffffff),
      checksum: z.number().int().min(0).max(0xffffffff),
    })
    .optional(),
  schedule: hierFavgScheduleSchema.pick({ kappa1: true, kappa2: true, fraction: true, quorum: true, edgeDeadlineSeconds: true }).strict(),
  /** FedBuff or FedAsync toward the devices (absent: synchronous κ2 iterations). */
  asyncSchedule: asyncScheduleSchema.optional(),
  /** Options for the devices' local training (strategy and task options). */
  options: z.record(z.string(), finite),
  seed: count,
  /**
   * The cloud round's deadline (epoch ms on the coordinator's clock). BullMQ has no job timeout: an edge
   * that takes the job later (a retry, a replica after a crash) skips it once this has passed, and bounds
   * its edge iterations by it. Absent: no deadline beyond each iteration's own.
   */
  deadline: z.number().positive().optional(),
  /** What the edge checks each device's answer against (absent: structural checks only). */
  limits: taskLimitsSchema.optional(),
  /**
   * Norm clipping of device updates at the edge: each sparse row's delta (each dense tensor's, per update) is
   * scaled down to at most this many times the median of the iteration's (absent or 0: no clipping).
   */
  clipFactor: z.number().min(0).optional(),
  /**
   * Before that, each sparse table of an update is scaled down so that its median row norm is at most this
   * many times the median of the iteration's updates' (absent or 0: off).
   */
  updateClipFactor: z.number().min(0).optional(),
  /**
   * Differential privacy: the edge clips each device update to L2 norm clipNorm (instead of clipFactor) and
   * sends the plain sum of the clipped updates, for the coordinator to noise (one edge iteration). With
   * distributedNoiseMultiplier σ (distributed DP, secure aggregation on) the devices clip their own updates
   * and add N(0, σ²C²/t) each for the session threshold t; the edge sends the unmasked, already noised sum.
   */
  privacy: z.strictObject({ clipNorm: z.number().positive(), distributedNoiseMultiplier: z.number().positive().optional() }).optional(),
  /** Secure aggregation (SecAgg+): the edge learns only the sum of its devices' updates (one job, every iteration). */
  secureAggregation: secureAggregationSchema.omit({ enabled: true }).optional(),
  /**
   * How the edge sends this job's models down to its devices: the run's downlink, which the coordinator owns
   * and checks against its task, as it owns the schedule (absent: the edge's own setting).
   */
  downlink: downlinkSchema.optional(),
});

export type EdgeRoundJob = z.output<typeof edgeRoundJobSchema>;

/** Participation counters of one edge over one job. */
export const edgeParticipationSchema = z.strictObject({
  selected: count,
  answered: count,
  /** Stragglers: selected, not answered before the quorum or deadline closed the iteration. */
  dropped: count,
  /** Failed requests: disconnects and error replies. */
  failed: count,
  /** Answers rejected by validation, by reason. */
  rejected: z.record(z.string(), count),
  /** What was clipped in accepted answers: weights, row weights and (norm) rows or tensors scaled down. */
  clipped: z.record(z.string(), count),
  /** Device-edge bytes of model downloads (requests) and of answers. */
  bytesDown: count,
  bytesUp: count,
  /** Device-edge bytes of control messages (a device asking for the full model), both directions. */
  bytesControl: count.default(0),
  /**
   * Secure aggregation: devices whose masks were removed from the sum after they dropped out of a session
   * (they shared their keys, then sent no input), and sessions that aborted (too few devices or shares left).
   */
  secAggRecovered: count.optional(),
  secAggAborted: count.optional(),
  /** Edge-cloud bytes: model blobs the edge read for the job (0 when it had the version already). */
  bytesFetched: count.default(0),
  /** Asynchronous schedules: accepted updates by staleness τ (versions behind the edge model), as `"τ": count`. */
  staleness: z.record(z.string().regex(/^\d+$/), count).optional(),
  /** Asynchronous schedules: model versions the edge made (server steps). */
  edgeSteps: count.optional(),
  /** DP with adaptive clipping: device updates in the edge's sum that were within the clip norm (not scaled down). */
  dpWithinClip: count.optional(),
});

export type EdgeParticipation = z.output<typeof edgeParticipationSchema>;

/** Where the edge's time went, seconds by phase (EDGE_PHASES), so a bench or an operator can tell. */
const timingsSchema = z.record(z.string(), z.number().min(0));

export const edgeRoundResultSchema = z.strictObject({
  /** Absent when no device answered: the edge contributes nothing this round. */
  blobKey: z.string().min(1).max(256).optional(),
  weight: z.number().min(0).refine(Number.isFinite, 'must be finite'),
  metrics: z.record(z.string(), finite),
  participation: edgeParticipationSchema,
  timings: timingsSchema.optional(),
  /** Privacy runs: the devices the edge selected from (its sampling rate is participation.selected over this). */
  population: count.optional(),
  /** The job was taken after its round's deadline and skipped. */
  expired: z.literal(true).optional(),
});

export type EdgeRoundResult = z.output<typeof edgeRoundResultSchema>;

/**
 * An edge job's phases: `fetch` the model blob, `decode` it (and copy it into the edge model), `encode` the
 * RoundRequest, `exchange` send it and wait for the quorum (transfer and the devices' work), `validate`
 * decode and check the answers, `aggregate` combine and apply them, `upload` encode and store the update blob.
 */
export const EDGE_PHASES = ['fetch', 'decode', 'encode', 'exchange', 'validate', 'aggregate', 'upload'] as const;

export const edgeEvaluateResultSchema = z.strictObject({
  count: count,
  sums: z.record(z.string(), finite),
  participation: edgeParticipationSchema,
  expired: z.literal(true).optional(),
});

export type EdgeEvaluateResult = z.output<typeof edgeEvaluateResultSchema>;

/**
 * A job payload or result that crossed the queue, checked against its schema: the queue is a boundary (a
 * job written by another version, a result from an edge), so nothing is cast. Throws InvalidJobError naming
 * the field.
 */
export function parseJobPayload<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = issue.path.length > 0 ? issue.path.map(String).join('.') : '(root)';
  throw new InvalidJobError(`${what}: ${path}: ${issue.message}`);
}

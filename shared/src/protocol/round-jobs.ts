// The job payloads of a cloud round's flow (parent `cloud-round` on the cloud queue, one child per region).
// Job data holds ids, blob keys and small numbers, never tensors.

import type { HierFavgSchedule } from '../fl/hierfavg-schedule.js';
import type { PhaseSeconds } from './phase-timer.js';

export const CLOUD_QUEUE = 'strata-cloud';

export function regionQueue(region: string): string {
  return `strata-region-${region}`;
}

export function modelBlobKey(version: number): string {
  return `strata:model:${version}`;
}

export function edgeUpdateBlobKey(roundId: string, region: string): string {
  return `strata:update:${roundId}:${region}`;
}

export type EdgeJobKind = 'edge-round' | 'edge-evaluate';

export interface EdgeRoundJob {
  roundId: string;
  round: number;
  version: number;
  modelKey: string;
  schedule: Pick<HierFavgSchedule, 'kappa1' | 'kappa2' | 'fraction' | 'quorum' | 'edgeDeadlineSeconds'>;
  /** Options for the devices' local training (strategy and task options). */
  options: Record<string, number>;
  seed: number;
  /**
   * The cloud round's deadline (epoch ms on the coordinator's clock). BullMQ has no job timeout: an edge
   * that takes the job later (a retry, a replica after a crash) skips it once this has passed, and bounds
   * its edge iterations by it. Absent: no deadline beyond each iteration's own.
   */
  deadline?: number;
}

/** Participation counters of one edge over one job. */
export interface EdgeParticipation {
  selected: number;
  answered: number;
  /** Stragglers: selected, not answered before the quorum or deadline closed the iteration. */
  dropped: number;
  /** Failed requests: disconnects and error replies. */
  failed: number;
  /** Answers rejected by validation, by reason. */
  rejected: Record<string, number>;
  bytesDown: number;
  bytesUp: number;
}

export interface EdgeRoundResult {
  /** Absent when no device answered: the edge contributes nothing this round. */
  blobKey?: string;
  weight: number;
  metrics: Record<string, number>;
  participation: EdgeParticipation;
  /** Where the edge's time went, seconds by phase (EDGE_PHASES), so a bench or an operator can tell. */
  timings?: PhaseSeconds;
  [key: string]: unknown;
}

/**
 * An edge job's phases: `fetch` the model blob, `decode` it (and copy it into the edge model), `encode` the
 * RoundRequest, `exchange` send it and wait for the quorum (transfer and the devices' work), `validate`
 * decode and check the answers, `aggregate` combine and apply them, `upload` encode and store the update blob.
 */
export const EDGE_PHASES = ['fetch', 'decode', 'encode', 'exchange', 'validate', 'aggregate', 'upload'] as const;

export interface EdgeEvaluateResult {
  count: number;
  sums: Record<string, number>;
  participation: EdgeParticipation;
  [key: string]: unknown;
}

// What a cloud round counts while it reads its edges' results: participation (devices' and edges'), bytes per
// tier, metric sums, the edges' phase timings, the update blobs read (deleted once the round is committed),
// and under an asynchronous cloud the edge results taken by staleness.

import {
  type EdgeParticipation,
  type EdgeRoundResult,
  type HierarchyBytes,
  type PhaseTimer,
  addParticipation,
  countReason,
  emptyHierarchyBytes,
  emptyParticipation,
} from '@strata/shared';

export type CloudParticipation = EdgeParticipation & {
  edgesAnswered: number;
  edgesExpected: number;
  edgesRejected: number;
  /** Rejected edge updates by reason (non_finite, shape, unknown_tensor, malformed, missing, stale, too_stale). */
  edgeRejections: Record<string, number>;
  /** Asynchronous cloud: accepted edge updates by staleness τ (global versions behind), as `"τ": count`. */
  cloudStaleness?: Record<string, number>;
};

export class RoundTally {
  readonly participation: CloudParticipation;
  readonly bytes: HierarchyBytes = emptyHierarchyBytes();
  readonly metricSums: Record<string, number> = {};
  /** Update blobs read this round: deleted once the round is committed. */
  readonly blobKeys: string[] = [];
  /** Asynchronous cloud: accepted edge updates by staleness. */
  readonly cloudStaleness: Record<string, number> = {};
  /** Privacy runs: the largest sampling rate an edge reported. */
  samplingRate = 0;

  constructor(edgesExpected: number) {
    this.participation = { ...emptyParticipation(), edgesAnswered: 0, edgesExpected, edgesRejected: 0, edgeRejections: {} };
  }

  reject(reason: string): void {
    this.participation.edgesRejected++;
    countReason(this.participation.edgeRejections, reason);
  }

  /** Adds a parsed edge result's counts, bytes, metrics and phase timings (as `edge.<phase>`). */
  add(result: EdgeRoundResult, timer: PhaseTimer): void {
    addParticipation(this.participation, result.participation);
    if (result.population) this.samplingRate = Math.max(this.samplingRate, result.participation.selected / result.population);
    this.bytes.deviceEdgeDown += result.participation.bytesDown;
    this.bytes.deviceEdgeUp += result.participation.bytesUp;
    this.bytes.edgeCloudDown += result.participation.bytesFetched;
    for (const [key, value] of Object.entries(result.metrics)) this.metricSums[key] = (this.metricSums[key] ?? 0) + value;
    for (const [phase, seconds] of Object.entries(result.timings ?? {}))
      timer.seconds[`edge.${phase}`] = (timer.seconds[`edge.${phase}`] ?? 0) + seconds;
  }
}

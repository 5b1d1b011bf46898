// The coordinator's durable state: the model version, the last committed round, the flow in flight (so a
// restarted coordinator waits for the same flow rather than starting the round again), the per-round records,
// and a lease that keeps a second coordinator from running the same deployment at once. In memory for the
// embedded default; Redis in the distributed runtime. Both pass @strata/runtime/testing's state-store contract.
// Model blobs themselves live in the BlobStore, keyed by version.

import { ConfigError } from '../errors.js';
import type { RoundRecord } from '../run/run-record.js';

/** A cloud round's flow that was added and not yet collected. */
export interface FlowInFlight {
  readonly kind: 'edge-round' | 'edge-evaluate';
  readonly round: number;
  readonly roundId: string;
  /**
   * The id the coordinator gives the flow's parent (children: `<flowId>-<i>`), saved before the flow is
   * added: a successor adds the flow again under the same ids, which adds nothing if it was added.
   */
  readonly flowId: string;
  /** The round's deadline (epoch ms on the coordinator's clock); a resumed wait keeps it. */
  readonly deadline: number;
  /** When the flow was added (epoch ms, wall time), so a resumed round reports its whole duration. */
  readonly startedAt: number;
}

/** An asynchronous cloud's edge-round job for one region, added (or about to be) and not yet collected. */
export interface EdgeJobInFlight {
  readonly region: string;
  /** The job's number in the run (its `round` field: it seeds the edge's device choice). */
  readonly round: number;
  /** The job's round id (its update blob's key names it) and the global version its model is. */
  readonly roundId: string;
  readonly version: number;
  /** The id of the job's one-child flow, saved before it is added, as FlowInFlight's. */
  readonly flowId: string;
  readonly deadline: number;
  readonly startedAt: number;
}

/** An edge update an asynchronous cloud accepted into the buffer of its next step (its blob kept until then). */
export interface BufferedEdgeUpdate {
  readonly region: string;
  readonly roundId: string;
  readonly blobKey: string;
  /** The global version the edge's job named: the update's staleness is the version now minus this. */
  readonly version: number;
}

/** An asynchronous cloud's jobs in flight (one per region), its buffer, and how many jobs it has issued. */
export interface CloudAsyncState {
  readonly jobs: readonly EdgeJobInFlight[];
  readonly buffer: readonly BufferedEdgeUpdate[];
  readonly issued: number;
}

export interface CoordinatorState {
  /** Identifies the run configuration that wrote this state; a coordinator with another one refuses it. */
  readonly configHash: string;
  /** That configuration itself, so a refusal can name what changed. */
  readonly config?: Readonly<Record<string, unknown>>;
  /** The global model's version; its blob is at modelBlobKey(version). */
  readonly version: number;
  /** The last round whose aggregation is committed (0 before the first). */
  readonly round: number;
  readonly flow?: FlowInFlight;
  /** An asynchronous cloud schedule's per-edge jobs and buffer (absent under a synchronous cloud). */
  readonly cloudAsync?: CloudAsyncState;
}

export interface StateStore {
  load(): Promise<CoordinatorState | undefined>;
  /** Replaces the state and, when given, stores `record` (replacing the record of its round), atomically. */
  save(state: CoordinatorState, record?: RoundRecord): Promise<void>;
  /** Every stored round record, by round. */
  rounds(): Promise<RoundRecord[]>;
  /**
   * Takes (or, for its holder, extends) the lease for `ttlMs`; false while another owner holds it. A holder
   * that stops renewing loses it after ttlMs, which is how a killed coordinator's successor gets in.
   */
  acquireLease(owner: string, ttlMs: number): Promise<boolean>;
  /** Gives the lease up if `owner` holds it. */
  releaseLease(owner: string): Promise<void>;
  /** Forgets the state and the records (a new run on the same store). */
  clear(): Promise<void>;
  close(): Promise<void>;
}

/** Refuses a lease time that is not a positive integer of milliseconds. */
export function checkLeaseTtl(ttlMs: number): void {
  if (!Number.isSafeInteger(ttlMs) || ttlMs <= 0) throw new ConfigError(`lease ttlMs must be a positive integer, got ${ttlMs}`);
}

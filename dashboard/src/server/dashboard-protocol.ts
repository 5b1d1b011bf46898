// What the dashboard's socket.io namespace (`/dashboard`) sends: a snapshot when a page connects, then deltas
// (only what changed, coalesced over a tick) that the page applies in order. Both are JSON strings, so the
// server serialises once per tick for every page and either side can count the bytes. The page imports these
// types too (dashboard/src), so the two ends cannot drift.

/** A device as the edge that serves it sees it. */
export type DeviceState = 'idle' | 'training' | 'evaluating' | 'answered' | 'failed' | 'late' | 'offline';

/** One letter per state on the wire: a delta of 1,000 devices is mostly their ids. */
export const DEVICE_STATE_CODES = {
  idle: 'i',
  training: 't',
  evaluating: 'e',
  answered: 'a',
  failed: 'f',
  late: 'l',
  offline: 'o',
} as const satisfies Record<DeviceState, string>;

export type DeviceStateCode = (typeof DEVICE_STATE_CODES)[DeviceState];

/** Devices sharing an edge, a state and a last-seen second: the unit of snapshots and deltas. */
export interface DeviceGroup {
  /** The node id of the edge the devices are connected to (or were, when offline). */
  readonly e: string;
  readonly s: DeviceStateCode;
  /** Last seen (connected, or a reply received), epoch seconds; 0: never. */
  readonly t: number;
  readonly ids: readonly string[];
}

export interface DashboardSchedule {
  readonly kappa1: number;
  readonly kappa2: number;
  readonly fraction: number;
  readonly quorum: number;
}

export interface DashboardRunInfo {
  readonly task: string;
  readonly mode: 'embedded' | 'distributed';
  /** starting, running, done, stopped, failed (the daemon adds waiting-for-lease). */
  readonly phase: string;
  /** Epoch ms. */
  readonly startedAt: number;
  /** Rounds planned. */
  readonly rounds: number;
  readonly regions: readonly string[];
  readonly schedule: DashboardSchedule;
  /** Metrics to chart first (recall@20, ndcg@20; psnr). */
  readonly headlineMetrics: readonly string[];
  /** The run record's id, once written. */
  readonly runId?: string;
  /** A page may ask for a render of the model from a pose of its choosing (radiance tasks). */
  readonly renderable?: boolean;
}

/** Where a requested render looks from: degrees around the scene's vertical axis and above its horizon. */
export interface RenderPose {
  readonly azimuth: number;
  readonly elevation: number;
}

export interface EdgeView {
  readonly nodeId: string;
  readonly region: string;
  /** Epoch ms of the edge's last event or heartbeat. */
  readonly lastSeen: number;
  /** The job the edge runs now. */
  readonly job?: { readonly name: string; readonly round: number; readonly iteration: number };
}

/** One region's part of a cloud round. */
export interface RoundEdgeView {
  /** Requests sent over the iterations so far (selected devices). */
  readonly selected: number;
  readonly answered: number;
  readonly failed: number;
  /** Stragglers (known once the edge finished). */
  readonly dropped: number;
  /** Answers refused by validation (known once the edge finished). */
  readonly rejected: number;
  readonly iteration: number;
  readonly done: boolean;
  readonly seconds?: number;
}

export interface RoundView {
  readonly round: number;
  /** Epoch ms. */
  readonly startedAt: number;
  /** Set once the round is committed. */
  readonly seconds?: number;
  readonly edges: Readonly<Record<string, RoundEdgeView>>;
  /** Training loss, then the evaluation's metrics when the round was evaluated. */
  readonly metrics: Readonly<Record<string, number>>;
  /** Bytes by tier (deviceEdge, edgeCloud and their Up/Down parts). */
  readonly bytes: Readonly<Record<string, number>>;
  /** Edges whose update was aggregated, of those expected. */
  readonly edgesAnswered?: number;
  readonly edgesExpected?: number;
  /** Asynchronous edges (FedBuff, FedAsync): mean and largest staleness τ of the device updates the edges took. */
  readonly staleness?: { readonly mean: number; readonly max: number };
  /** Asynchronous cloud: mean and largest staleness τ of the edge results the cloud's server step took. */
  readonly cloudStaleness?: { readonly mean: number; readonly max: number };
  /** Central differential privacy: the ε the run had spent once this round was released, at δ. */
  readonly privacy?: { readonly epsilon: number; readonly delta: number };
}

/** A radiance task's latest render of a held-out view beside its ground truth (PNG data URLs). */
export interface RenderView {
  readonly round: number;
  readonly label: string;
  readonly image: string;
  readonly truth?: string;
  readonly metrics: Readonly<Record<string, number>>;
}

export interface DashboardSnapshot {
  readonly seq: number;
  /** Server time (epoch ms): pages measure durations against it, not against their own clock. */
  readonly at: number;
  readonly run: DashboardRunInfo;
  readonly edges: readonly EdgeView[];
  readonly devices: readonly DeviceGroup[];
  readonly rounds: readonly RoundView[];
  readonly render?: RenderView;
}

/** What changed since the previous tick; every part replaces what the page holds under the same key. */
export interface DashboardDelta {
  readonly seq: number;
  readonly at: number;
  readonly run?: DashboardRunInfo;
  readonly edges?: readonly EdgeView[];
  readonly devices?: readonly DeviceGroup[];
  readonly rounds?: readonly RoundView[];
  readonly render?: RenderView;
}

/** A finished run in the run picker. */
export interface RunSummary {
  readonly id: string;
  readonly task: string;
  readonly mode: string;
  readonly startedAt: string;
  readonly rounds: number;
  readonly wallSeconds?: number;
  readonly final: Readonly<Record<string, number>>;
}

/** Events the server sends. */
export interface DashboardServerEvents {
  snapshot: (json: string) => void;
  delta: (json: string) => void;
}

/** Queries a page may make (answered through the acknowledgement); nothing a page sends changes the run. */
export interface DashboardClientEvents {
  runs: (reply: (runs: RunSummary[]) => void) => void;
  /** The run record as written to runs/<id>/run.json, or an error message. */
  run: (id: string, reply: (answer: { record: unknown } | { error: string }) => void) => void;
  /** A render of the current model from `pose` (one at a time), or an error message. */
  render: (pose: RenderPose, reply: (answer: { render: RenderView } | { error: string }) => void) => void;
}

/** The socket.io namespace of the dashboard. */
export const DASHBOARD_NAMESPACE = '/dashboard';

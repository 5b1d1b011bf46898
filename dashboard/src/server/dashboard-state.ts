// The live picture the dashboard shows: the run, the edges and their devices, the rounds. Fed by the
// coordinator (rounds started, committed, evaluated) and by the edges' live batches; read as a snapshot (a page
// connecting) or as the delta of what changed since the last read (one per tick, however many events came in
// between: 1,000 devices answering in a tick make one delta, not 1,000 messages).

import type { EdgeLiveBatch, EdgeLiveEvent, EdgeParticipation } from '@strata/shared';
import {
  DEVICE_STATE_CODES,
  type DashboardDelta,
  type DashboardRunInfo,
  type DashboardSnapshot,
  type DeviceGroup,
  type DeviceState,
  type EdgeView,
  type RenderView,
  type RoundEdgeView,
  type RoundView,
} from './dashboard-protocol.js';

interface DeviceEntry {
  edge: string;
  state: DeviceState;
  /** Epoch ms; 0: never seen. */
  lastSeen: number;
}

/** What the coordinator knows of a committed round (a RoundOutcome or a run record's round fits it). */
export interface CommittedRound {
  readonly round: number;
  readonly wallSeconds: number;
  readonly metrics: Readonly<Record<string, number>>;
  readonly bytes: Readonly<Record<string, number>>;
  readonly participation?: { readonly edgesAnswered?: number; readonly edgesExpected?: number };
  /** Asynchronous edges: the staleness of the device updates the round's edges took. */
  readonly staleness?: unknown;
  /** Asynchronous cloud: the staleness of the edge results the round's server step took. */
  readonly cloudStaleness?: unknown;
  /** Central differential privacy: the ε spent so far and its δ (the run record's `privacy`). */
  readonly privacy?: unknown;
}

const TRAIN_JOB = 'edge-round';

export class DashboardState {
  private runInfo: DashboardRunInfo;
  private readonly edges = new Map<string, EdgeView>();
  private readonly devices = new Map<string, DeviceEntry>();
  private readonly rounds = new Map<number, RoundView>();
  private renderView: RenderView | undefined;
  private seq = 0;
  // What changed since the last delta.
  private runChanged = false;
  private readonly changedEdges = new Set<string>();
  private readonly changedDevices = new Set<string>();
  private readonly changedRounds = new Set<number>();
  private renderChanged = false;

  constructor(
    run: DashboardRunInfo,
    private readonly now: () => number = Date.now,
  ) {
    this.runInfo = run;
  }

  get run(): DashboardRunInfo {
    return this.runInfo;
  }

  /** Updates the run's description (phase, run id, ...). */
  updateRun(change: Partial<DashboardRunInfo>): void {
    this.runInfo = { ...this.runInfo, ...change };
    this.runChanged = true;
  }

  roundStarted(round: number): void {
    const existing = this.rounds.get(round);
    if (existing?.seconds !== undefined) return;
    this.putRound({ round, startedAt: this.now(), edges: {}, metrics: {}, bytes: {}, ...existing });
  }

  roundCommitted(committed: CommittedRound): void {
    const round = this.roundView(committed.round, this.now() - committed.wallSeconds * 1000);
    this.putRound({
      ...round,
      seconds: committed.wallSeconds,
      metrics: { ...round.metrics, ...committed.metrics },
      bytes: { ...committed.bytes },
      edgesAnswered: committed.participation?.edgesAnswered,
      edgesExpected: committed.participation?.edgesExpected,
      ...optional('staleness', stalenessSummary(committed.staleness)),
      ...optional('cloudStaleness', stalenessSummary(committed.cloudStaleness)),
      ...privacyView(committed.privacy),
    });
  }

  /** Adds an evaluation's metrics to its round. */
  evaluated(roundNumber: number, metrics: Readonly<Record<string, number>>): void {
    const round = this.roundView(roundNumber, this.now());
    this.putRound({ ...round, metrics: { ...round.metrics, ...metrics } });
  }

  setRender(render: RenderView): void {
    this.renderView = render;
    this.renderChanged = true;
  }

  /** Applies one edge's live batch (events in order, then its device list if it carries one). */
  edgeBatch(batch: EdgeLiveBatch): void {
    const edge = this.touchEdge(batch.region, batch.nodeId, batch.at);
    for (const event of batch.events) this.edgeEvent(edge, event);
    if (batch.devices) this.reconcileDevices(batch.nodeId, batch.devices, batch.at);
  }

  snapshot(): DashboardSnapshot {
    return {
      seq: this.seq,
      at: this.now(),
      run: this.runInfo,
      edges: [...this.edges.values()],
      devices: groupDevices([...this.devices.entries()]),
      rounds: [...this.rounds.values()].sort((a, b) => a.round - b.round),
      ...(this.renderView ? { render: this.renderView } : {}),
    };
  }

  /** What changed since the previous call, or undefined when nothing did. */
  takeDelta(): DashboardDelta | undefined {
    const nothing =
      !this.runChanged &&
      !this.renderChanged &&
      this.changedEdges.size === 0 &&
      this.changedDevices.size === 0 &&
      this.changedRounds.size === 0;
    if (nothing) return undefined;
    const delta: DashboardDelta = {
      seq: ++this.seq,
      at: this.now(),
      ...(this.runChanged ? { run: this.runInfo } : {}),
      ...(this.changedEdges.size > 0 ? { edges: [...this.changedEdges].map((id) => this.edges.get(id)!) } : {}),
      ...(this.changedDevices.size > 0 ? { devices: groupDevices([...this.changedDevices].map((id) => [id, this.devices.get(id)!])) } : {}),
      ...(this.changedRounds.size > 0 ? { rounds: [...this.changedRounds].sort((a, b) => a - b).map((r) => this.rounds.get(r)!) } : {}),
      ...(this.renderChanged && this.renderView ? { render: this.renderView } : {}),
    };
    this.runChanged = false;
    this.renderChanged = false;
    this.changedEdges.clear();
    this.changedDevices.clear();
    this.changedRounds.clear();
    return delta;
  }

  private edgeEvent(edge: EdgeView, event: EdgeLiveEvent): void {
    switch (event.kind) {
      case 'peer':
        if (event.connected) this.setDevice(event.deviceId, edge.nodeId, 'idle', event.at);
        // A device that already moved to another edge (failover) is not offline.
        else if (this.devices.get(event.deviceId)?.edge === edge.nodeId) this.setDevice(event.deviceId, edge.nodeId, 'offline', event.at);
        return;
      case 'job-started':
        this.putEdge({ ...edge, job: { name: event.job, round: event.round, iteration: 0 } });
        if (event.job === TRAIN_JOB) this.updateRoundEdge(event.round, edge.region, event.at, (p) => p);
        return;
      case 'requests': {
        const training = event.job === TRAIN_JOB;
        this.markLate(edge.nodeId);
        for (const id of event.deviceIds) this.setDevice(id, edge.nodeId, training ? 'training' : 'evaluating');
        this.putEdge({ ...this.edges.get(edge.nodeId)!, job: { name: event.job, round: event.round, iteration: event.iteration } });
        if (training) {
          this.updateRoundEdge(event.round, edge.region, event.at, (p) => ({
            ...p,
            iteration: event.iteration,
            selected: p.selected + event.deviceIds.length,
          }));
        }
        return;
      }
      case 'reply': {
        const training = event.job === TRAIN_JOB;
        const state: DeviceState = event.ok ? (training ? 'answered' : 'idle') : 'failed';
        this.setDevice(event.deviceId, edge.nodeId, state, event.ok ? event.at : undefined);
        if (training) {
          this.updateRoundEdge(event.round, edge.region, event.at, (p) =>
            event.ok ? { ...p, answered: p.answered + 1 } : { ...p, failed: p.failed + 1 },
          );
        }
        return;
      }
      case 'job-finished': {
        this.markLate(edge.nodeId);
        this.putEdge({ ...this.edges.get(edge.nodeId)!, job: undefined });
        if (event.job !== TRAIN_JOB || event.outcome !== 'done') return;
        const p: EdgeParticipation = event.participation;
        const rejected = Object.values(p.rejected).reduce((sum, n) => sum + n, 0);
        this.updateRoundEdge(event.round, edge.region, event.at, (view) => ({
          ...view,
          selected: p.selected,
          answered: p.answered,
          failed: p.failed,
          dropped: p.dropped,
          rejected,
          done: true,
          seconds: event.seconds,
        }));
        return;
      }
      default:
        return; // an event kind from a newer edge: nothing to show for it
    }
  }

  /** Devices still working when their edge moved on (next iteration, job done) are stragglers. */
  private markLate(edgeId: string): void {
    for (const [id, device] of this.devices) {
      if (device.edge === edgeId && (device.state === 'training' || device.state === 'evaluating')) this.setDevice(id, edgeId, 'late');
    }
  }

  /** The full device list of an edge: the ones missing are gone, the ones listed are connected. */
  private reconcileDevices(edgeId: string, connected: readonly string[], at: number): void {
    const listed = new Set(connected);
    for (const id of listed) {
      const device = this.devices.get(id);
      if (!device || device.edge !== edgeId || device.state === 'offline') this.setDevice(id, edgeId, 'idle', at);
    }
    for (const [id, device] of this.devices) {
      if (device.edge === edgeId && device.state !== 'offline' && !listed.has(id)) this.setDevice(id, edgeId, 'offline');
    }
  }

  private setDevice(id: string, edge: string, state: DeviceState, seenAt?: number): void {
    const device = this.devices.get(id);
    const lastSeen = seenAt ?? device?.lastSeen ?? 0;
    if (device && device.edge === edge && device.state === state && device.lastSeen === lastSeen) return;
    this.devices.set(id, { edge, state, lastSeen });
    this.changedDevices.add(id);
  }

  private touchEdge(region: string, nodeId: string, at: number): EdgeView {
    const edge: EdgeView = { ...this.edges.get(nodeId), nodeId, region, lastSeen: at };
    this.putEdge(edge);
    return edge;
  }

  private putEdge(edge: EdgeView): void {
    const { job, ...rest } = edge;
    this.edges.set(edge.nodeId, job ? { ...rest, job } : rest);
    this.changedEdges.add(edge.nodeId);
  }

  private roundView(round: number, startedAt: number): RoundView {
    return this.rounds.get(round) ?? { round, startedAt, edges: {}, metrics: {}, bytes: {} };
  }

  private updateRoundEdge(roundNumber: number, region: string, at: number, change: (view: RoundEdgeView) => RoundEdgeView): void {
    const round = this.roundView(roundNumber, at);
    const current = round.edges[region] ?? { selected: 0, answered: 0, failed: 0, dropped: 0, rejected: 0, iteration: 0, done: false };
    this.putRound({ ...round, edges: { ...round.edges, [region]: change(current) } });
  }

  private putRound(round: RoundView): void {
    this.rounds.set(round.round, round);
    this.changedRounds.add(round.round);
  }
}

/** Devices grouped by edge, state and last-seen second, ids sorted (stable output for the same state). */
function groupDevices(entries: readonly (readonly [string, DeviceEntry])[]): DeviceGroup[] {
  const groups = new Map<string, { e: string; s: DeviceGroup['s']; t: number; ids: string[] }>();
  for (const [id, device] of entries) {
    const t = Math.floor(device.lastSeen / 1000);
    const s = DEVICE_STATE_CODES[device.state];
    const key = `${device.edge}\n${s}\n${t}`;
    const group = groups.get(key) ?? { e: device.edge, s, t, ids: [] };
    groups.set(key, group);
    group.ids.push(id);
  }
  for (const group of groups.values()) group.ids.sort(compareDeviceIds);
  return [...groups.values()];
}

/** device-2 before device-10. */
function compareDeviceIds(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

/** `{ [key]: value }`, or nothing when the value is absent (so a view never carries an undefined field). */
function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

/** A round record's staleness summary as the page shows it (mean and max τ), when it is well formed. */
export function stalenessSummary(staleness: unknown): { mean: number; max: number } | undefined {
  if (staleness === null || typeof staleness !== 'object') return undefined;
  const { mean, max } = staleness as Record<string, unknown>;
  return typeof mean === 'number' && typeof max === 'number' ? { mean, max } : undefined;
}

/** A round's ε spent so far and δ, when the record carries well-formed ones (central DP runs). */
export function privacyView(privacy: unknown): { privacy?: { epsilon: number; delta: number } } {
  if (privacy === null || typeof privacy !== 'object') return {};
  const { epsilon, delta } = privacy as Record<string, unknown>;
  return typeof epsilon === 'number' && typeof delta === 'number' ? { privacy: { epsilon, delta } } : {};
}

// The page's copy of the dashboard state: a snapshot, then deltas applied in order. It records what changed so
// the views redraw only that (on a 1,000-device run, a delta touching 50 devices recolours 50 squares).

import type {
  DashboardDelta,
  DashboardRunInfo,
  DashboardSnapshot,
  DeviceGroup,
  DeviceStateCode,
  EdgeView,
  RenderView,
  RoundView,
} from '../server/dashboard-protocol.js';

export interface DeviceEntry {
  edge: string;
  state: DeviceStateCode;
  /** Epoch ms; 0: never seen. */
  lastSeen: number;
}

/** What a view draws: the live run, or a finished run read from its record. */
export interface RunData {
  readonly run: DashboardRunInfo;
  /** By round number. */
  rounds(): readonly RoundView[];
  /** Now, on the server's clock. */
  now(): number;
}

export class LiveModel {
  run: DashboardRunInfo | undefined;
  readonly edges = new Map<string, EdgeView>();
  readonly devices = new Map<string, DeviceEntry>();
  private readonly roundsByNumber = new Map<number, RoundView>();
  render: RenderView | undefined;
  private seq = -1;
  /** Server time minus page time, from the last message. */
  private offset = 0;
  // What changed since the views last drew.
  readonly changedDevices = new Set<string>();
  topologyChanged = false;
  roundsChanged = false;
  runChanged = false;
  renderChanged = false;

  get ready(): boolean {
    return this.run !== undefined;
  }

  /** The live run as the views' data, once the snapshot has come. */
  data(): RunData | undefined {
    const run = this.run;
    return run && { run, rounds: () => this.rounds(), now: () => this.now() };
  }

  now(): number {
    return Date.now() + this.offset;
  }

  rounds(): RoundView[] {
    return [...this.roundsByNumber.values()].sort((a, b) => a.round - b.round);
  }

  applySnapshot(snapshot: DashboardSnapshot): void {
    this.seq = snapshot.seq;
    this.offset = snapshot.at - Date.now();
    this.run = snapshot.run;
    this.edges.clear();
    for (const edge of snapshot.edges) this.edges.set(edge.nodeId, edge);
    this.devices.clear();
    this.applyDevices(snapshot.devices);
    this.roundsByNumber.clear();
    for (const round of snapshot.rounds) this.roundsByNumber.set(round.round, round);
    this.render = snapshot.render;
    this.topologyChanged = this.roundsChanged = this.runChanged = this.renderChanged = true;
  }

  /** Applies a delta; false when it is older than what the page holds (sent before its snapshot). */
  applyDelta(delta: DashboardDelta): boolean {
    if (!this.ready || delta.seq <= this.seq) return false;
    this.seq = delta.seq;
    this.offset = delta.at - Date.now();
    if (delta.run) {
      this.run = delta.run;
      this.runChanged = true;
    }
    if (delta.edges) {
      for (const edge of delta.edges) this.edges.set(edge.nodeId, edge);
      this.topologyChanged = true;
    }
    if (delta.devices) this.applyDevices(delta.devices);
    if (delta.rounds) {
      for (const round of delta.rounds) this.roundsByNumber.set(round.round, round);
      this.roundsChanged = true;
    }
    if (delta.render) {
      this.render = delta.render;
      this.renderChanged = true;
    }
    return true;
  }

  private applyDevices(groups: readonly DeviceGroup[]): void {
    for (const group of groups) {
      for (const id of group.ids) {
        this.devices.set(id, { edge: group.e, state: group.s, lastSeen: group.t * 1000 });
        this.changedDevices.add(id);
      }
    }
  }
}

/** A finished run's record (runs/<id>/run.json) as the views' data: rounds, metrics and bytes, no topology. */
export class RecordedRun implements RunData {
  readonly run: DashboardRunInfo;
  private readonly roundViews: RoundView[];
  private readonly end: number;

  constructor(
    readonly id: string,
    record: Record<string, unknown>,
  ) {
    const config = (record.config ?? {}) as Record<string, unknown>;
    const schedule = (config.schedule ?? {}) as Record<string, unknown>;
    const topology = (config.topology ?? {}) as Record<string, unknown>;
    const startedAt = Date.parse(String(record.startedAt ?? '')) || 0;
    const regions = Array.isArray(config.regions)
      ? config.regions.map(String)
      : Array.from({ length: Number(topology.edges) || 0 }, (_, i) => `region-${i + 1}`);
    const rows = Array.isArray(record.rounds) ? (record.rounds as Record<string, unknown>[]) : [];
    let clock = startedAt;
    this.roundViews = rows.map((row) => {
      const seconds = Number(row.wallSeconds) || 0;
      const view: RoundView = {
        round: Number(row.round),
        startedAt: clock,
        seconds,
        edges: participationAsEdge(row.participation),
        metrics: numbers(row.metrics),
        bytes: numbers(row.bytes),
        ...recordedStaleness('staleness', row.staleness),
        ...recordedStaleness('cloudStaleness', row.cloudStaleness),
        ...recordedPrivacy(row.privacy),
      };
      clock += seconds * 1000;
      return view;
    });
    this.end = clock;
    const number = (value: unknown, fallback: number): number => (typeof value === 'number' ? value : fallback);
    this.run = {
      task: String(record.task ?? '?'),
      mode: record.mode === 'distributed' ? 'distributed' : 'embedded',
      phase: 'finished run',
      startedAt,
      rounds: rows.length,
      regions,
      headlineMetrics: Object.keys(numbers((record.final as Record<string, unknown> | undefined)?.metrics)),
      schedule: {
        kappa1: number(schedule.kappa1, 1),
        kappa2: number(schedule.kappa2, 1),
        fraction: number(schedule.fraction, 1),
        quorum: number(schedule.quorum, 1),
      },
      runId: id,
    };
  }

  rounds(): readonly RoundView[] {
    return this.roundViews;
  }

  now(): number {
    return this.end;
  }
}

function numbers(value: unknown): Record<string, number> {
  if (typeof value !== 'object' || value === null) return {};
  return Object.fromEntries(Object.entries(value).filter((entry): entry is [string, number] => typeof entry[1] === 'number'));
}

/** A record keeps participation summed over edges: shown as one row, "all edges". */
function participationAsEdge(value: unknown): RoundView['edges'] {
  const p = numbers(value);
  if (p.selected === undefined) return {};
  const rejected = typeof value === 'object' && value !== null ? numbers((value as Record<string, unknown>).rejected) : {};
  return {
    'all edges': {
      selected: p.selected,
      answered: p.answered ?? 0,
      failed: p.failed ?? 0,
      dropped: p.dropped ?? 0,
      rejected: Object.values(rejected).reduce((sum, n) => sum + n, 0),
      iteration: 0,
      done: true,
    },
  };
}

/** A recorded round's staleness under `key` (asynchronous edges or cloud), when the record has a well-formed one. */
function recordedStaleness<K extends 'staleness' | 'cloudStaleness'>(key: K, value: unknown): { [P in K]?: { mean: number; max: number } } {
  const { mean, max } = (value ?? {}) as Record<string, unknown>;
  return (typeof mean === 'number' && typeof max === 'number' ? { [key]: { mean, max } } : {}) as {
    [P in K]?: { mean: number; max: number };
  };
}

/** A recorded round's ε spent so far and δ (central DP), when the record has well-formed ones. */
function recordedPrivacy(value: unknown): { privacy?: { epsilon: number; delta: number } } {
  const { epsilon, delta } = (value ?? {}) as Record<string, unknown>;
  return typeof epsilon === 'number' && typeof delta === 'number' ? { privacy: { epsilon, delta } } : {};
}

// The dashboard's live state: what a page sees after the edges' events and the coordinator's rounds, and
// that deltas carry only what changed since the previous one.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { EdgeLiveBatch, EdgeLiveEvent, EdgeParticipation } from '@strata/shared';
import { DashboardState, type DashboardRunInfo, type DeviceGroup, type DeviceStateCode } from '../src/server/index.js';

const RUN: DashboardRunInfo = {
  task: 'recsys/bpr-mf',
  mode: 'embedded',
  phase: 'running',
  startedAt: 0,
  rounds: 3,
  regions: ['r1', 'r2'],
  schedule: { kappa1: 1, kappa2: 1, fraction: 1, quorum: 0.5 },
  headlineMetrics: ['recall@20'],
};

/** A state on a fake clock (ms), so last-seen seconds are exact. */
function fixture(): { state: DashboardState; clock: { now: number } } {
  const clock = { now: 1_000_000 };
  return { state: new DashboardState(RUN, () => clock.now), clock };
}

const batch = (nodeId: string, region: string, at: number, events: EdgeLiveEvent[], devices?: string[]): EdgeLiveBatch => ({
  nodeId,
  region,
  at,
  events,
  ...(devices ? { devices } : {}),
});

/** Device id -> state code, from snapshot or delta groups. */
function states(groups: readonly DeviceGroup[] | undefined): Record<string, DeviceStateCode> {
  return Object.fromEntries((groups ?? []).flatMap((g) => g.ids.map((id) => [id, g.s])));
}

const participation = (p: Partial<EdgeParticipation>): EdgeParticipation => ({
  selected: 0,
  answered: 0,
  dropped: 0,
  failed: 0,
  rejected: {},
  clipped: {},
  bytesDown: 0,
  bytesUp: 0,
  bytesControl: 0,
  bytesFetched: 0,
  ...p,
});

test('a round seen live: selected devices train, answers count towards the quorum, the unanswered become stragglers', () => {
  const { state, clock } = fixture();
  const at = clock.now;
  state.edgeBatch(
    batch(
      'e1',
      'r1',
      at,
      ['d1', 'd2', 'd3'].map((deviceId) => ({ kind: 'peer', at, deviceId, connected: true })),
    ),
  );
  state.roundStarted(1);
  state.edgeBatch(
    batch('e1', 'r1', at, [
      { kind: 'job-started', at, job: 'edge-round', round: 1 },
      { kind: 'requests', at, job: 'edge-round', round: 1, iteration: 1, deviceIds: ['d1', 'd2', 'd3'] },
      { kind: 'reply', at: at + 1500, job: 'edge-round', round: 1, deviceId: 'd2', ok: true },
      { kind: 'reply', at: at + 1600, job: 'edge-round', round: 1, deviceId: 'd3', ok: false },
    ]),
  );
  let snapshot = state.snapshot();
  assert.deepEqual(states(snapshot.devices), { d1: 't', d2: 'a', d3: 'f' });
  assert.deepEqual(snapshot.rounds[0].edges.r1, {
    selected: 3,
    answered: 1,
    failed: 1,
    dropped: 0,
    rejected: 0,
    iteration: 1,
    done: false,
  });
  assert.equal(snapshot.rounds[0].seconds, undefined, 'the round is still running');
  assert.deepEqual(snapshot.edges[0].job, { name: 'edge-round', round: 1, iteration: 1 });
  // Last seen: d2 answered at +1.5 s; d1 was only asked, so it keeps its connect time.
  const seen = Object.fromEntries(snapshot.devices.flatMap((g) => g.ids.map((id) => [id, g.t])));
  assert.equal(seen.d2, Math.floor((at + 1500) / 1000));
  assert.equal(seen.d1, Math.floor(at / 1000));

  state.edgeBatch(
    batch('e1', 'r1', at + 2000, [
      {
        kind: 'job-finished',
        at: at + 2000,
        job: 'edge-round',
        round: 1,
        outcome: 'done',
        seconds: 2,
        participation: participation({ selected: 3, answered: 1, failed: 1, dropped: 1, rejected: { shape: 1 } }),
      },
    ]),
  );
  clock.now += 2500;
  state.roundCommitted({
    round: 1,
    wallSeconds: 2.5,
    metrics: { loss: 0.5 },
    bytes: { deviceEdge: 10, edgeCloud: 4 },
    participation: { edgesAnswered: 1, edgesExpected: 2 },
  });
  state.evaluated(1, { 'recall@20': 0.2 });
  snapshot = state.snapshot();
  assert.equal(states(snapshot.devices).d1, 'l', 'd1 never answered: a straggler');
  assert.equal(snapshot.edges[0].job, undefined);
  const round = snapshot.rounds[0];
  assert.deepEqual(round.edges.r1, { selected: 3, answered: 1, failed: 1, dropped: 1, rejected: 1, iteration: 1, done: true, seconds: 2 });
  assert.equal(round.seconds, 2.5);
  assert.deepEqual(round.metrics, { loss: 0.5, 'recall@20': 0.2 });
  assert.deepEqual(round.bytes, { deviceEdge: 10, edgeCloud: 4 });
  assert.equal(round.edgesAnswered, 1);
});

test('a delta holds only what changed since the previous one, however many events came in between', () => {
  const { state, clock } = fixture();
  const at = clock.now;
  const ids = Array.from({ length: 1000 }, (_, i) => `device-${i + 1}`);
  state.edgeBatch(
    batch(
      'e1',
      'r1',
      at,
      ids.map((deviceId) => ({ kind: 'peer', at, deviceId, connected: true })),
    ),
  );
  const first = state.takeDelta();
  assert.ok(first);
  assert.equal(first.seq, 1);
  assert.equal(Object.keys(states(first.devices)).length, 1000);
  assert.equal(first.devices?.length, 1, 'same edge, state and second: one group');
  assert.equal(state.takeDelta(), undefined, 'nothing changed');

  // 1,000 replies one by one: one delta.
  state.edgeBatch(batch('e1', 'r1', at, [{ kind: 'requests', at, job: 'edge-round', round: 1, iteration: 1, deviceIds: ids }]));
  for (const deviceId of ids)
    state.edgeBatch(batch('e1', 'r1', at + 100, [{ kind: 'reply', at: at + 100, job: 'edge-round', round: 1, deviceId, ok: true }]));
  const second = state.takeDelta();
  assert.ok(second);
  assert.equal(second.seq, 2);
  assert.ok(Object.values(states(second.devices)).every((s) => s === 'a'));
  assert.deepEqual(
    second.rounds?.map((r) => r.edges.r1.answered),
    [1000],
  );
  assert.equal(second.run, undefined, 'the run did not change');

  // A device whose state did not change is not sent again.
  state.edgeBatch(
    batch('e1', 'r1', at + 100, [{ kind: 'reply', at: at + 100, job: 'edge-round', round: 1, deviceId: 'device-7', ok: true }]),
  );
  const third = state.takeDelta();
  assert.equal(third?.devices, undefined);
  state.updateRun({ phase: 'done' });
  assert.equal(state.takeDelta()?.run?.phase, 'done');
});

test("heartbeats reconcile an edge's devices; a device that failed over is not marked offline by its old edge", () => {
  const { state, clock } = fixture();
  const at = clock.now;
  state.edgeBatch(batch('e1', 'r1', at, [], ['d1', 'd2']));
  state.edgeBatch(batch('e2', 'r1', at, [], []));
  assert.deepEqual(states(state.snapshot().devices), { d1: 'i', d2: 'i' });
  // d2 moves to the replica e2, then e1 reports the disconnect late: d2 stays connected (to e2).
  state.edgeBatch(batch('e2', 'r1', at + 10, [{ kind: 'peer', at: at + 10, deviceId: 'd2', connected: true }]));
  state.edgeBatch(batch('e1', 'r1', at + 20, [{ kind: 'peer', at: at + 20, deviceId: 'd2', connected: false }]));
  const groups = state.snapshot().devices;
  assert.deepEqual(groups.find((g) => g.ids.includes('d2'))?.e, 'e2');
  assert.equal(states(groups).d2, 'i');
  // e1's heartbeat no longer lists d1: it is gone.
  state.edgeBatch(batch('e1', 'r1', at + 30, [], []));
  assert.equal(states(state.snapshot().devices).d1, 'o');
  assert.deepEqual(
    state
      .snapshot()
      .edges.map((e) => e.nodeId)
      .sort(),
    ['e1', 'e2'],
  );
});

test('events of an unknown kind (a newer edge) are ignored', () => {
  const { state, clock } = fixture();
  const unknown = { kind: 'something-new', at: clock.now } as unknown as EdgeLiveEvent;
  state.edgeBatch(batch('e1', 'r1', clock.now, [unknown]));
  assert.deepEqual(state.snapshot().devices, []);
});

// The dashboard page: connects to the coordinator's `/dashboard` namespace with the token (from the link's
// `#token=`, kept for the tab's session, or typed in), applies the snapshot and deltas to its model, and redraws
// what changed at most once per animation frame. The run picker swaps the view to a finished run's record.

import { io, type Socket } from 'socket.io-client';
import type {
  DashboardClientEvents,
  DashboardDelta,
  DashboardServerEvents,
  DashboardSnapshot,
  RunSummary,
} from '../server/dashboard-protocol.js';
import { byId, el } from './dom.js';
import { formatNumber } from './format.js';
import { LiveModel, RecordedRun, type RunData } from './live-model.js';
import { ChartsView } from './charts-view.js';
import { RadianceView } from './radiance-view.js';
import { RoundsView } from './rounds-view.js';
import { SummaryView } from './summary-view.js';
import { TopologyView } from './topology-view.js';

/** What the page has received and how long it took to apply (the 1,000-device measurement reads it). */
interface PageStats {
  snapshots: number;
  updates: number;
  bytes: number;
  largestUpdateBytes: number;
  firstUpdateAt: number;
  lastUpdateAt: number;
  /** Milliseconds spent applying messages and redrawing. */
  applyMs: number;
  drawMs: number;
  maxDrawMs: number;
  draws: number;
}

declare global {
  interface Window {
    strataDashboard: PageStats;
  }
}

const TOKEN_KEY = 'strata-dashboard-token';
const stats: PageStats = {
  snapshots: 0,
  updates: 0,
  bytes: 0,
  largestUpdateBytes: 0,
  firstUpdateAt: 0,
  lastUpdateAt: 0,
  applyMs: 0,
  drawMs: 0,
  maxDrawMs: 0,
  draws: 0,
};
window.strataDashboard = stats;

const model = new LiveModel();
const summary = new SummaryView(byId('summary'));
const roundsView = new RoundsView(byId('current-round'), byId('timeline'));
const charts = new ChartsView(byId('charts'));
const topology = new TopologyView(byId('topology'), model);
const radiance = new RadianceView(
  byId('radiance'),
  byId('radiance-body'),
  (pose) =>
    new Promise((resolve) => {
      if (!socket) resolve({ error: 'not connected' });
      else socket.emit('render', pose, resolve);
    }),
);
const picker = byId<HTMLSelectElement>('run-picker');
const connection = byId('connection');
let recorded: RecordedRun | undefined;
let socket: Socket<DashboardServerEvents, DashboardClientEvents> | undefined;
let frame = 0;

function token(): string | undefined {
  const fromLink = new URLSearchParams(location.hash.slice(1)).get('token');
  if (fromLink) {
    sessionStorage.setItem(TOKEN_KEY, fromLink);
    // Out of the address bar (and of screenshots and bookmarks).
    history.replaceState(null, '', location.pathname + location.search);
    return fromLink;
  }
  return sessionStorage.getItem(TOKEN_KEY) ?? undefined;
}

function setConnection(state: 'connecting' | 'live' | 'lost', text: string): void {
  connection.dataset.state = state;
  connection.textContent = text;
}

function connect(secret: string): void {
  socket?.close();
  const s: Socket<DashboardServerEvents, DashboardClientEvents> = io('/dashboard', { auth: { token: secret }, transports: ['websocket'] });
  socket = s;
  s.on('connect', () => {
    byId('token-form').hidden = true;
    setConnection('live', 'live');
    refreshRuns();
  });
  s.on('disconnect', () => setConnection('lost', model.run?.phase === 'done' ? 'run finished · disconnected' : 'disconnected'));
  s.on('connect_error', (error) => {
    if (/unauthorized/.test(error.message)) {
      s.close();
      sessionStorage.removeItem(TOKEN_KEY);
      askForToken('The coordinator refused this token.');
    } else if (!model.ready) {
      setConnection('lost', 'cannot reach the coordinator');
    }
  });
  s.on('snapshot', (json) => {
    const started = performance.now();
    model.applySnapshot(JSON.parse(json) as DashboardSnapshot);
    stats.snapshots++;
    stats.applyMs += performance.now() - started;
    schedule();
  });
  s.on('delta', (json) => {
    const started = performance.now();
    if (!model.applyDelta(JSON.parse(json) as DashboardDelta)) return;
    const now = Date.now();
    stats.updates++;
    stats.bytes += json.length;
    stats.largestUpdateBytes = Math.max(stats.largestUpdateBytes, json.length);
    stats.firstUpdateAt ||= now;
    stats.lastUpdateAt = now;
    stats.applyMs += performance.now() - started;
    schedule();
  });
}

function askForToken(message = ''): void {
  setConnection('lost', 'not signed in');
  byId('token-form').hidden = false;
  byId('token-error').textContent = message;
  byId<HTMLInputElement>('token-input').focus();
}

/** One redraw per animation frame, however many deltas arrived in between. */
function schedule(): void {
  if (frame !== 0) return;
  frame = requestAnimationFrame(() => {
    frame = 0;
    draw();
  });
}

function draw(): void {
  const started = performance.now();
  const data: RunData | undefined = recorded ?? model.data();
  if (data) {
    byId('run-task').textContent = data.run.task;
    byId('run-mode').textContent = data.run.mode;
    const phase = byId('run-phase');
    phase.textContent = data.run.phase;
    phase.dataset.phase = data.run.phase;
    summary.draw(data, recorded ? undefined : model);
    roundsView.draw(data);
    charts.draw(data);
  }
  byId('topology').closest('section')!.hidden = recorded !== undefined;
  if (!recorded && model.ready) {
    topology.draw();
    if (model.renderChanged || model.runChanged) radiance.draw(model.render, model.run?.renderable === true);
    model.renderChanged = false;
  } else {
    radiance.draw(undefined, false);
  }
  model.roundsChanged = model.runChanged = false;
  const ms = performance.now() - started;
  stats.draws++;
  stats.drawMs += ms;
  stats.maxDrawMs = Math.max(stats.maxDrawMs, ms);
}

function refreshRuns(): void {
  socket?.emit('runs', (runs: RunSummary[]) => {
    const selected = picker.value;
    picker.replaceChildren(
      el('option', { value: '' }, 'live run'),
      ...runs.map((run) => {
        const headline = Object.entries(run.final)
          .slice(0, 2)
          .map(([k, v]) => `${k} ${formatNumber(v)}`)
          .join(', ');
        return el('option', { value: run.id }, `${run.id} · ${run.rounds} rounds${headline ? ` · ${headline}` : ''}`);
      }),
    );
    picker.value = runs.some((r) => r.id === selected) ? selected : '';
  });
}

picker.addEventListener('focus', refreshRuns);
picker.addEventListener('change', () => {
  const id = picker.value;
  if (id === '') {
    recorded = undefined;
    model.roundsChanged = model.runChanged = model.topologyChanged = model.renderChanged = true;
    schedule();
    return;
  }
  socket?.emit('run', id, (answer) => {
    if ('error' in answer) {
      picker.value = '';
      return;
    }
    recorded = new RecordedRun(id, answer.record as Record<string, unknown>);
    schedule();
  });
});

byId('token-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const value = byId<HTMLInputElement>('token-input').value.trim();
  if (value === '') return;
  sessionStorage.setItem(TOKEN_KEY, value);
  connect(value);
});

// Durations of running rounds and "last seen" texts age without any message.
setInterval(() => {
  const live = model.data();
  if (!recorded && live) {
    roundsView.draw(live);
    topology.drawTexts();
  }
}, 1000);

const secret = token();
if (secret) connect(secret);
else askForToken();

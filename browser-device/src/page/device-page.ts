// The browser device's page: joins this edge as a device (its token and device id from the link's fragment
// or the form), keeps its data and state in IndexedDB, runs the device in a Web Worker, shows what it is doing
// (round, bytes, local loss) and lets the user stop it. A reloaded page resumes from IndexedDB on its own.

import { clearRecord, loadRecord, saveRecord, type DeviceRecord } from './device-store.js';
import type { DeviceProgress, DeviceSettings, PageToWorker, WorkerToPage } from './worker-messages.js';

interface SiteConfig {
  readonly region: string;
  readonly edgeUrl: string;
  readonly demo: { readonly task: string; readonly numDevices: number } | null;
}

type Status = 'idle' | 'starting' | 'connected' | 'disconnected' | 'stopped' | 'error';

/** What tests and curious users can read from the console. */
declare global {
  interface Window {
    strataDevice?: { status: Status; nodeId: string | null; task: string | null; progress: DeviceProgress | null; reloads: number };
  }
}

const element = <T extends HTMLElement>(id: string): T => {
  const found = document.getElementById(id);
  if (!found) throw new Error(`the page has no #${id}`);
  return found as T;
};

let record: DeviceRecord | undefined;
let worker: Worker | undefined;
/** The write in progress, and whether the record changed since it began (writes coalesce: the newest wins). */
let saving: Promise<void> | undefined;
let dirty = false;
const view = {
  status: 'idle' as Status,
  nodeId: null as string | null,
  task: null as string | null,
  progress: null as DeviceProgress | null,
  reloads: 0,
};
window.strataDevice = view;

function setStatus(status: Status, detail = ''): void {
  view.status = status;
  const badge = element('status');
  badge.dataset.state = status;
  badge.textContent = detail ? `${status}: ${detail}` : status;
  element<HTMLButtonElement>('stop').disabled = !(status === 'connected' || status === 'disconnected' || status === 'starting');
  element<HTMLButtonElement>('start').disabled = !(status === 'stopped' || status === 'error');
}

const number = (value: number | null, digits = 0): string =>
  value === null ? '—' : value.toLocaleString('en', { maximumFractionDigits: digits });
const bytes = (n: number): string =>
  n < 1024 ? `${n} B` : n < 1 << 20 ? `${(n / 1024).toFixed(1)} kB` : `${(n / (1 << 20)).toFixed(2)} MB`;

function showProgress(progress: DeviceProgress | null): void {
  view.progress = progress;
  const p = progress;
  const cells: Record<string, string> = {
    round: p ? String(p.round) : '—',
    trainings: p ? String(p.trainings) : '—',
    evaluations: p ? String(p.evaluations) : '—',
    'bytes-down': p ? bytes(p.bytesDown) : '—',
    'bytes-up': p ? bytes(p.bytesUp) : '—',
    loss: number(p?.loss ?? null, 4),
    speed: p?.speed ? `${number(p.speed)} ${p.speedUnit}/s` : '—',
  };
  for (const [id, text] of Object.entries(cells)) element(`stat-${id}`).textContent = text;
  if (p) element('stat-round').dataset.round = String(p.round);
}

function showDevice(settings: DeviceSettings): void {
  view.nodeId = settings.nodeId;
  element('device-id').textContent = settings.nodeId;
  element('device-region').textContent = settings.region;
  element('device-edge').textContent = settings.edgeUrl;
  // What the data holds comes from the worker, which checks it and builds the device from it.
  element('device-data').textContent = 'reading the data…';
  element('device-panel').hidden = false;
  element('join-form').hidden = true;
}

/**
 * Saves the record. The worker reports faster than IndexedDB may write on a busy machine: changes made while a
 * write is in progress are saved together by one write after it, so the stored record lags by one write at most.
 */
function persist(change: Partial<DeviceRecord>): void {
  if (!record) return;
  record = { ...record, ...change };
  dirty = true;
  saving ??= (async () => {
    while (dirty && record) {
      dirty = false;
      await saveRecord(record).catch((error: unknown) => setStatus('error', `cannot save to IndexedDB: ${String(error)}`));
    }
    saving = undefined;
  })();
}

function startWorker(): void {
  if (!record || worker) return;
  setStatus('starting');
  worker = new Worker('/device/assets/device-worker.js', { type: 'module', name: record.settings.nodeId });
  worker.onmessage = (event: MessageEvent<WorkerToPage>) => {
    const message = event.data;
    switch (message.kind) {
      case 'connected':
        setStatus('connected');
        // Stored once the edge accepted the device: data the worker refused is not kept for the next load.
        persist({});
        break;
      case 'disconnected':
        setStatus('disconnected');
        break;
      case 'device':
        view.task = message.task;
        element('device-task').textContent = message.task;
        element('device-data').textContent = `${message.summary} (IndexedDB)`;
        break;
      case 'stopped':
        worker?.terminate();
        worker = undefined;
        setStatus('stopped');
        break;
      case 'progress':
        showProgress(message.progress);
        persist({ progress: message.progress });
        break;
      case 'state':
        persist({ state: message.state });
        break;
      case 'error':
        setStatus(view.status === 'connected' ? 'connected' : 'error', message.message);
        element('error').textContent = message.message;
        break;
    }
  };
  worker.onerror = (event) => setStatus('error', event.message);
  const start: PageToWorker = {
    kind: 'start',
    settings: record.settings,
    data: record.data,
    state: record.state,
    progress: record.progress,
  };
  worker.postMessage(start);
}

async function fetchJson(url: string): Promise<unknown> {
  const response = await fetch(url);
  const body = (await response.json()) as { error?: string };
  if (!response.ok) throw new Error(body.error ?? `${url}: HTTP ${response.status}`);
  return body;
}

async function join(
  site: SiteConfig,
  token: string,
  nodeId: string,
  source: { user: number } | { file: File },
  compression: string,
): Promise<void> {
  const data = 'user' in source ? await fetchJson(`/device/data/${source.user}`) : (JSON.parse(await source.file.text()) as unknown);
  const settings: DeviceSettings = {
    nodeId,
    region: site.region,
    edgeUrl: site.edgeUrl,
    token,
    sessionId: crypto.randomUUID(),
    compression: compression === 'float16' || compression === 'int8' ? compression : 'float32',
  };
  record = { settings, data, state: null, progress: null, stopped: false };
  showDevice(settings);
  showProgress(null);
  startWorker();
}

async function main(): Promise<void> {
  const site = (await fetchJson('/device/config')) as SiteConfig;
  element('site-region').textContent = site.region;
  element<HTMLInputElement>('user').max = String((site.demo?.numDevices ?? 1) - 1);
  element('demo-note').textContent = site.demo
    ? `This edge offers a demo split of ${site.demo.task} for users 0 to ${site.demo.numDevices - 1}.`
    : 'This edge offers no demo data: choose your own file.';

  element('stop').onclick = () => {
    persist({ stopped: true });
    const stop: PageToWorker = { kind: 'stop' };
    worker?.postMessage(stop);
  };
  element('start').onclick = () => {
    persist({ stopped: false });
    startWorker();
  };
  element('forget').onclick = async () => {
    worker?.terminate();
    worker = undefined;
    await saving;
    await clearRecord();
    location.hash = '';
    location.reload();
  };

  // Loads of this tab before this one (a tab's sessionStorage survives its reloads).
  view.reloads = Number(sessionStorage.getItem('strata-device-loads') ?? 0);
  sessionStorage.setItem('strata-device-loads', String(view.reloads + 1));
  const fragment = new URLSearchParams(location.hash.slice(1));
  // The token must not stay in the address bar or history: IndexedDB keeps it from here on.
  if (location.hash) history.replaceState(null, '', location.pathname);
  record = await loadRecord();
  const wanted = fragment.get('device');
  if (record && (wanted === null || wanted === record.settings.nodeId)) {
    // A reload (or a return): resume as the same device, same session.
    showDevice(record.settings);
    showProgress(record.progress);
    if (record.stopped) setStatus('stopped');
    else startWorker();
    return;
  }
  const form = element<HTMLFormElement>('join-form');
  form.hidden = false;
  const token = fragment.get('token');
  const user = fragment.get('user');
  if (token && wanted && user !== null) {
    await join(site, token, wanted, { user: Number(user) }, fragment.get('compression') ?? 'float32');
    return;
  }
  form.onsubmit = (event) => {
    event.preventDefault();
    const field = (id: string): string => element<HTMLInputElement>(id).value.trim();
    const file = element<HTMLInputElement>('own-file').files?.[0];
    const source = file ? { file } : { user: Number(field('user')) };
    join(site, field('token'), field('node-id'), source, field('compression')).catch((error: unknown) => {
      element('error').textContent = error instanceof Error ? error.message : String(error);
    });
  };
  setStatus('idle');
}

main().catch((error: unknown) => {
  setStatus('error', error instanceof Error ? error.message : String(error));
});

// The splat viewer page (`/splats`): lists the Gaussian splat files the dashboard serves (the .ply files of
// finished runs and those named on the command line), fetches the chosen one with the dashboard token and
// draws it with Spark (a three.js 3DGS renderer), framed on the splats' bounds, z up as the radiance scenes
// are, with orbit controls. esbuild bundles this file with three and Spark (scripts/build.mjs).

import * as THREE from 'three';
import { OrbitControls } from 'three/examples/jsm/controls/OrbitControls.js';
import { SparkRenderer, SplatFileType, SplatMesh } from '@sparkjsdev/spark';
import type { SplatFileEntry } from '../server/splat-library.js';
import { byId, el } from './dom.js';
import { formatBytes } from './format.js';

/** What the page shows (the browser test reads it). */
interface ViewerState {
  status: 'loading' | 'ready' | 'failed';
  file?: string;
  splats?: number;
  center?: number[];
  radius?: number;
  /** Frames drawn since the file was loaded. */
  frames: number;
  error?: string;
}

declare global {
  interface Window {
    strataSplatViewer: ViewerState;
  }
}

const TOKEN_KEY = 'strata-dashboard-token';
const state: ViewerState = { status: 'loading', frames: 0 };
window.strataSplatViewer = state;
const statusBadge = byId('splat-status');
const errorLine = byId('splat-error');
const caption = byId('splat-caption');
const picker = byId<HTMLSelectElement>('splat-picker');
const stage = byId('splat-stage');

function token(): string {
  const params = new URLSearchParams(location.hash.slice(1));
  const fromLink = params.get('token');
  if (fromLink) {
    sessionStorage.setItem(TOKEN_KEY, fromLink);
    params.delete('token');
    const rest = params.toString();
    history.replaceState(null, '', location.pathname + location.search + (rest ? `#${rest}` : ''));
    return fromLink;
  }
  const kept = sessionStorage.getItem(TOKEN_KEY);
  if (!kept) throw new Error('no dashboard token: open the link the run printed (it ends in #token=...)');
  return kept;
}

function setStatus(status: ViewerState['status'], text: string = status): void {
  state.status = status;
  statusBadge.textContent = text;
  statusBadge.dataset.phase = status === 'ready' ? 'done' : status === 'failed' ? 'failed' : 'running';
}

function fail(error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  state.error = message;
  errorLine.textContent = message;
  setStatus('failed');
}

async function fetchOk(path: string, bearer: string): Promise<Response> {
  const response = await fetch(path, { headers: { authorization: `Bearer ${bearer}` } });
  if (!response.ok) throw new Error(`${path}: ${response.status} ${(await response.text()).trim()}`);
  return response;
}

const fileKey = (entry: Pick<SplatFileEntry, 'source' | 'name'>): string => `${entry.source}/${entry.name}`;

const renderer = new THREE.WebGLRenderer({ antialias: false });
renderer.setPixelRatio(1);
renderer.setClearColor(0x000000, 1);
stage.append(renderer.domElement);
const scene = new THREE.Scene();
const camera = new THREE.PerspectiveCamera(50, 4 / 3, 0.01, 1000);
camera.up.set(0, 0, 1);
scene.add(new SparkRenderer({ renderer }));
const controls = new OrbitControls(camera, renderer.domElement);
let mesh: SplatMesh | undefined;

function resize(): void {
  const width = stage.clientWidth;
  const height = stage.clientHeight;
  renderer.setSize(width, height, false);
  camera.aspect = width / height;
  camera.updateProjectionMatrix();
}
new ResizeObserver(resize).observe(stage);
resize();

renderer.setAnimationLoop(() => {
  controls.update();
  renderer.render(scene, camera);
  if (state.status === 'ready') state.frames++;
});

async function show(entry: SplatFileEntry, bearer: string): Promise<void> {
  setStatus('loading', `loading ${entry.name}`);
  state.frames = 0;
  const bytes = new Uint8Array(
    await (await fetchOk(`/api/splats/${encodeURIComponent(entry.source)}/${encodeURIComponent(entry.name)}`, bearer)).arrayBuffer(),
  );
  if (mesh) {
    scene.remove(mesh);
    mesh.dispose();
  }
  const next = new SplatMesh({ fileBytes: bytes, fileType: SplatFileType.PLY, fileName: entry.name });
  mesh = next;
  scene.add(next);
  await next.initialized;
  // Framed on the splats' centres: the whole cloud in view from 30° azimuth and 20° elevation.
  const box = next.getBoundingBox(true);
  const center = box.getCenter(new THREE.Vector3());
  const radius = Math.max(1e-3, box.getSize(new THREE.Vector3()).length() / 2);
  const distance = (radius / Math.sin(THREE.MathUtils.degToRad(camera.fov / 2))) * 1.1;
  const azimuth = THREE.MathUtils.degToRad(30);
  const elevation = THREE.MathUtils.degToRad(20);
  camera.position
    .set(Math.cos(elevation) * Math.cos(azimuth), Math.cos(elevation) * Math.sin(azimuth), Math.sin(elevation))
    .multiplyScalar(distance)
    .add(center);
  camera.near = distance / 100;
  camera.far = distance * 100;
  camera.updateProjectionMatrix();
  controls.target.copy(center);
  state.file = fileKey(entry);
  state.splats = next.packedSplats?.numSplats ?? 0;
  state.center = center.toArray();
  state.radius = radius;
  caption.textContent = `${entry.source === '-' ? '' : `run ${entry.source} · `}${entry.name} · ${state.splats} Gaussians · ${formatBytes(entry.bytes)} · drag to orbit, scroll to zoom`;
  setStatus('ready');
}

async function start(): Promise<void> {
  const bearer = token();
  const files = (await (await fetchOk('/api/splats', bearer)).json()) as SplatFileEntry[];
  if (files.length === 0) throw new Error('no splat files: train one (strata train radiance --model gaussians) or name a .ply');
  for (const entry of files) {
    const label = entry.source === '-' ? entry.name : `${entry.source} / ${entry.name}`;
    picker.append(el('option', { value: fileKey(entry) }, label));
  }
  const wanted = new URLSearchParams(location.hash.slice(1)).get('file');
  const first = files.find((entry) => fileKey(entry) === wanted) ?? files[0];
  picker.value = fileKey(first);
  picker.addEventListener('change', () => {
    const entry = files.find((candidate) => fileKey(candidate) === picker.value);
    if (entry) show(entry, bearer).catch(fail);
  });
  await show(first, bearer);
}

start().catch(fail);

// The viewer page (/device/viewer on the edge's HTTP port): plays an orbit around the edge's newest radiance
// model in each rendering architecture and shows what the user sees with its figures, live. remote: the
// edge's JPEG frames over its /view namespace, as they come; co: the edge's colour + depth warped to the pose
// the page has now, holes filled by a cheap local render; local: the page renders every pose itself from the
// compact model it downloaded (GET /compact-model). The session, the warp and the renderer are the project's
// own code, bundled (device-client's player, the radiance task's viewer device); only decoding is the
// browser's (its JPEG decoder, DecompressionStream for the depth, a JavaScript brotli decoder for the model).
// Settings come from the address's #fragment (token=..., size=..., play=remote,co,local); the page's state is
// window.strataViewer, for tests.

import { decompress as brotliDecompress } from 'brotli/decompress';
import { io, type Socket } from 'socket.io-client';
import { COMPACT_MODEL_ROUTE, VIEW_SESSION_EVENTS, stepsToDepth, type ViewFrameMessage } from '@strata/shared';
import {
  playViewSession,
  quantile,
  viewArchitectures,
  type ShownFrame,
  type ViewArchitecture,
  type ViewFrameDecoder,
} from '@strata/device-client/view-session';
import {
  COMPACT_GAUSSIAN_MAGIC,
  RadianceViewerDevice,
  decodeCompactGaussiansWith,
  decodeCompactRadianceModelWith,
  fileMagic,
  orbitPath,
} from '@strata/tasks/browser';

/** One architecture's figures, as the page shows them (and tests read them). */
interface ViewerFigures {
  architecture: ViewArchitecture;
  shown: number;
  fps: number;
  latencyMedianMs: number;
  latencyP95Ms: number;
  bytesPerSecond: number;
  framesReceived: number;
  done: boolean;
}

interface ViewerState {
  status: 'loading' | 'ready' | 'playing' | 'done' | 'error';
  playing?: ViewArchitecture;
  modelBytes?: number;
  modelVersion?: string;
  runs: Partial<Record<ViewArchitecture, ViewerFigures>>;
  error?: string;
}

declare global {
  interface Window {
    strataViewer: ViewerState;
  }
}

const state: ViewerState = { status: 'loading', runs: {} };
window.strataViewer = state;

const settings = readSettings(new URLSearchParams(location.hash.slice(1)));

function readSettings(hash: URLSearchParams) {
  const number = (name: string, fallback: number, min: number, max: number): number => {
    const raw = hash.get(name);
    const value = raw === null ? fallback : Number(raw);
    if (!Number.isFinite(value) || value < min || value > max) throw new Error(`#${name}=${raw}: must be a number in [${min}, ${max}]`);
    return value;
  };
  const play = (hash.get('play') ?? '').split(',').filter((name) => name.length > 0);
  for (const name of play) {
    if (!viewArchitectures.includes(name as ViewArchitecture))
      throw new Error(`#play=${name}: must be one of ${viewArchitectures.join(', ')}`);
  }
  return {
    token: hash.get('token') ?? '',
    size: Math.round(number('size', 100, 8, 1024)),
    poses: Math.round(number('poses', 90, 1, 3600)),
    rateHz: number('rate', 30, 1, 120),
    degreesPerSecond: number('speed', 60, 0, 720),
    elevationDegrees: number('elevation', 30, -89, 89),
    radius: number('radius', 4, 0.01, 1000),
    fovXDegrees: number('fov', 40, 1, 179),
    /** How long to wait for the frames in flight after the last pose (the edge's first frame starts its workers). */
    drainMs: number('drain', 5000, 0, 60_000),
    play: play as ViewArchitecture[],
  };
}

const element = <T extends HTMLElement>(id: string): T => {
  const found = document.getElementById(id);
  if (!found) throw new Error(`the page has no #${id}`);
  return found as T;
};

function setStatus(status: ViewerState['status'], text: string = status): void {
  state.status = status;
  const badge = element('status');
  badge.dataset.state = status;
  badge.textContent = text;
}

function fail(error: unknown): void {
  state.error = error instanceof Error ? error.message : String(error);
  setStatus('error');
  element('error').textContent = state.error;
}

/** `bytes` (zlib's deflate format) inflated by the browser's DecompressionStream. */
function inflated(bytes: Uint8Array): ReadableStream<Uint8Array> {
  return new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream('deflate'));
}

/**
 * The browser's own decoders: its JPEG decoder through an ImageBitmap, DecompressionStream for the depth and
 * rgb8-deflate; rgb8 is the bytes themselves.
 */
const browserDecoder: ViewFrameDecoder = {
  async color(bytes, width, height, codec = 'jpeg') {
    if (codec === 'rgb8-deflate' || codec === 'rgb8') {
      // socket.io's browser client may hand binary over as an ArrayBuffer.
      const raw =
        codec === 'rgb8'
          ? new Uint8Array(bytes as Uint8Array | ArrayBuffer)
          : new Uint8Array(await new Response(inflated(bytes)).arrayBuffer());
      if (raw.length !== 3 * width * height)
        throw new Error(`view frame: the colour holds ${raw.length} bytes, a ${width}x${height} frame ${3 * width * height}`);
      return Float32Array.from(raw, (b) => b / 255);
    }
    const bitmap = await createImageBitmap(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'image/jpeg' }));
    if (bitmap.width !== width || bitmap.height !== height)
      throw new Error(`view frame: the JPEG is ${bitmap.width}x${bitmap.height}, the frame says ${width}x${height}`);
    const canvas = new OffscreenCanvas(width, height);
    const context = canvas.getContext('2d', { willReadFrequently: true });
    if (!context) throw new Error('no 2D canvas to decode frames on');
    context.drawImage(bitmap, 0, 0);
    bitmap.close();
    const rgba = context.getImageData(0, 0, width, height).data;
    const rgb = new Float32Array(3 * width * height);
    for (let p = 0; p < width * height; p++) {
      rgb[3 * p] = rgba[4 * p] / 255;
      rgb[3 * p + 1] = rgba[4 * p + 1] / 255;
      rgb[3 * p + 2] = rgba[4 * p + 2] / 255;
    }
    return rgb;
  },
  async depth(bytes, pixels, near, far) {
    return stepsToDepth(new Uint8Array(await new Response(inflated(bytes)).arrayBuffer()), pixels, near, far);
  },
};

function draw(canvas: HTMLCanvasElement, rgb: Float32Array): void {
  const { width, height } = canvas;
  const context = canvas.getContext('2d');
  if (!context) return;
  const image = context.createImageData(width, height);
  for (let p = 0; p < width * height; p++) {
    image.data[4 * p] = Math.round(Math.min(1, Math.max(0, rgb[3 * p])) * 255);
    image.data[4 * p + 1] = Math.round(Math.min(1, Math.max(0, rgb[3 * p + 1])) * 255);
    image.data[4 * p + 2] = Math.round(Math.min(1, Math.max(0, rgb[3 * p + 2])) * 255);
    image.data[4 * p + 3] = 255;
  }
  context.putImageData(image, 0, 0);
}

const formatMs = (ms: number): string => (Number.isFinite(ms) ? ms.toFixed(0) : '—');
const formatBytes = (perSecond: number): string =>
  perSecond >= 1e6
    ? `${(perSecond / 1e6).toFixed(2)} MB/s`
    : perSecond >= 1e3
      ? `${(perSecond / 1e3).toFixed(1)} kB/s`
      : `${perSecond.toFixed(0)} B/s`;

function showFigures(figures: ViewerFigures): void {
  const row = element(`row-${figures.architecture}`);
  const cells = [
    figures.done ? 'done' : 'playing',
    String(figures.shown),
    figures.fps.toFixed(1),
    formatMs(figures.latencyMedianMs),
    formatMs(figures.latencyP95Ms),
    formatBytes(figures.bytesPerSecond),
  ];
  row.querySelectorAll('td').forEach((cell, i) => {
    cell.textContent = cells[i];
  });
}

async function downloadModel(token: string): Promise<RadianceViewerDevice> {
  const response = await fetch(COMPACT_MODEL_ROUTE.path, { headers: { authorization: `Bearer ${token}` } });
  if (!response.ok) throw new Error(`the compact model: ${response.status} ${(await response.text()).trim()}`);
  const bytes = new Uint8Array(await response.arrayBuffer());
  state.modelBytes = bytes.byteLength;
  state.modelVersion = response.headers.get(COMPACT_MODEL_ROUTE.versionHeader) ?? undefined;
  element('model').textContent = `compact model version ${state.modelVersion ?? '?'}, ${formatBytes(bytes.byteLength).replace('/s', '')}`;
  const decompress = (packed: Uint8Array, maxLength: number): Uint8Array => brotliDecompress(packed, maxLength);
  const options = { width: settings.size, height: settings.size, fovXDegrees: settings.fovXDegrees, cpuSpeed: 1 };
  // The edge's task decides the file: a voxel grid's .strc or Gaussians' .strg.
  if (fileMagic(bytes) === COMPACT_GAUSSIAN_MAGIC) {
    return RadianceViewerDevice.forCompactGaussians(decodeCompactGaussiansWith(bytes, 'the compact model', decompress), options);
  }
  const saved = decodeCompactRadianceModelWith(bytes, 'the compact model', decompress);
  return RadianceViewerDevice.forGrid(saved.grid, saved.settings, options);
}

async function connectView(edgeUrl: string, token: string): Promise<Socket> {
  const socket = io(`${edgeUrl}/view`, { transports: ['websocket'], auth: { token }, reconnection: false, forceNew: true });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', (error) => reject(new Error(`the edge's view link: ${error.message}`)));
  });
  return socket;
}

async function play(
  architecture: ViewArchitecture,
  device: RadianceViewerDevice,
  socket: Socket,
  canvas: HTMLCanvasElement,
): Promise<void> {
  const path = orbitPath(settings);
  const latencies: number[] = [];
  const figures: ViewerFigures = {
    architecture,
    shown: 0,
    fps: 0,
    latencyMedianMs: Number.NaN,
    latencyP95Ms: Number.NaN,
    bytesPerSecond: 0,
    framesReceived: 0,
    done: false,
  };
  state.runs[architecture] = figures;
  state.playing = architecture;
  setStatus('playing', `playing ${architecture}`);
  let bytes = 0;
  const counted = (message: ViewFrameMessage): void => {
    bytes += message.color.byteLength + (message.depth?.byteLength ?? 0);
    figures.framesReceived++;
  };
  if (architecture !== 'local') socket.on(VIEW_SESSION_EVENTS.frame, counted);
  const started = performance.now();
  const update = (): void => {
    const seconds = (performance.now() - started) / 1000;
    figures.fps = figures.shown / seconds;
    figures.latencyMedianMs = quantile(latencies, 0.5);
    figures.latencyP95Ms = quantile(latencies, 0.95);
    figures.bytesPerSecond = bytes / seconds;
    showFigures(figures);
  };
  try {
    const result = await playViewSession({
      architecture,
      path,
      rateHz: settings.rateHz,
      session: { width: settings.size, height: settings.size, fovXDegrees: settings.fovXDegrees },
      device,
      decoder: browserDecoder,
      ...(architecture === 'local' ? {} : { socket }),
      drainMs: settings.drainMs,
      onShown: (frame: ShownFrame) => {
        draw(canvas, frame.rgb);
        latencies.push(frame.latencyMs);
        figures.shown++;
        update();
      },
    });
    update();
    figures.fps = result.shown / result.seconds;
    figures.bytesPerSecond = bytes / result.seconds;
  } finally {
    socket.off(VIEW_SESSION_EVENTS.frame, counted);
    figures.done = true;
    showFigures(figures);
  }
}

async function main(): Promise<void> {
  const canvas = element<HTMLCanvasElement>('viewer-canvas');
  canvas.width = settings.size;
  canvas.height = settings.size;
  const tokenInput = element<HTMLInputElement>('token');
  tokenInput.value = settings.token;
  const config = (await (await fetch('/device/config')).json()) as { region: string; edgeUrl: string };
  element('site-region').textContent = config.region;
  let ready: Promise<{ device: RadianceViewerDevice; socket: Socket }> | undefined;
  const connect = (): Promise<{ device: RadianceViewerDevice; socket: Socket }> => {
    ready ??= (async () => {
      const token = tokenInput.value;
      if (token.length === 0) throw new Error('enter the device token or credential');
      const [device, socket] = await Promise.all([downloadModel(token), connectView(config.edgeUrl, token)]);
      return { device, socket };
    })();
    ready.catch(() => {
      ready = undefined;
    });
    return ready;
  };
  const run = async (architectures: readonly ViewArchitecture[]): Promise<void> => {
    const buttons = document.querySelectorAll<HTMLButtonElement>('button[data-play]');
    buttons.forEach((button) => {
      button.disabled = true;
    });
    try {
      element('error').textContent = '';
      const { device, socket } = await connect();
      for (const architecture of architectures) await play(architecture, device, socket, canvas);
      state.playing = undefined;
      setStatus('done');
    } catch (error) {
      fail(error);
    } finally {
      buttons.forEach((button) => {
        button.disabled = false;
      });
    }
  };
  document.querySelectorAll<HTMLButtonElement>('button[data-play]').forEach((button) => {
    button.addEventListener('click', () => {
      const which = button.dataset.play ?? '';
      void run(which === 'all' ? viewArchitectures : [which as ViewArchitecture]);
    });
  });
  setStatus('ready');
  if (settings.play.length > 0) await run(settings.play);
}

main().catch(fail);

// The browser device itself, in a Web Worker so training never blocks the page: the same DeviceClient,
// socket.io link and task code as a Node device (`strata device`), built from the data the page keeps (a
// recommender user's split or a voxel grid's views). It
// reports progress to the page and hands back its private state after each training for the page to persist.
// Entropy stage: the edge's brotli frames are read with the JavaScript brotli decoder (bounded: it writes into
// a buffer of the frame's declared size, itself capped by maxFrameBytes, and fails past it); the browser has no
// brotli encoder (CompressionStream offers gzip and deflate only), so this device's updates go up as they are.

import { decompress as brotliDecompress } from 'brotli/decompress';
import { DeviceClient } from '@strata/device-client/browser';
import { SocketIoTransportClient } from '@strata/runtime/socket-io-client';
import { compressionSchema, registerEntropyCodec, type Logger, type LocalTrainOptions, type ModelParams } from '@strata/shared';
import { deviceFromData, type DevicePrivateState } from '@strata/tasks/browser';
import type { DeviceProgress, DeviceSettings, PageToWorker, WorkerToPage } from './worker-messages.js';

interface WorkerScope {
  postMessage(message: WorkerToPage): void;
  onmessage: ((event: MessageEvent<PageToWorker>) => void) | null;
}
const scope = self as unknown as WorkerScope;
const post = (message: WorkerToPage): void => scope.postMessage(message);

registerEntropyCodec('brotli', { decompress: (bytes, maxBytes) => brotliDecompress(bytes, maxBytes) });

let client: DeviceClient | undefined;
let progress: DeviceProgress = {
  round: 0,
  trainings: 0,
  evaluations: 0,
  resyncs: 0,
  bytesDown: 0,
  bytesUp: 0,
  loss: null,
  speed: null,
  speedUnit: null,
};
const report = (change: Partial<DeviceProgress>): void => {
  progress = { ...progress, ...change };
  post({ kind: 'progress', progress });
};

scope.onmessage = (event) => {
  const message = event.data;
  if (message.kind === 'start') {
    // A reloaded page's device counts on from what it had done: its first report must not reset the page's figures.
    if (message.progress) progress = message.progress;
    start(message.settings, message.data, message.state).catch(fail);
  } else stop().catch(fail);
};

function fail(error: unknown): void {
  post({ kind: 'error', message: error instanceof Error ? error.message : String(error) });
}

async function start(settings: DeviceSettings, data: unknown, state: DevicePrivateState | null): Promise<void> {
  if (client) return;
  const built = deviceFromData(data);
  const { trainer } = built;
  if (state) trainer.restorePrivateState(state);
  post({ kind: 'device', task: built.task, summary: built.summary });
  const evaluate = trainer.evaluate?.bind(trainer);
  const device = new DeviceClient({
    nodeId: settings.nodeId,
    region: settings.region,
    compression: compressionSchema.parse({ dtype: settings.compression }),
    logger: workerLogger({ deviceId: settings.nodeId }),
    trainer: {
      numSamples: trainer.numSamples,
      train: async (model: ModelParams, options: LocalTrainOptions) => {
        const started = performance.now();
        const update = await trainer.train(model, options);
        const seconds = (performance.now() - started) / 1000;
        post({ kind: 'state', state: trainer.privateState() });
        report({
          round: options.round,
          trainings: progress.trainings + 1,
          loss: update.weight > 0 ? (update.metrics.loss ?? 0) / update.weight : null,
          speed: seconds > 0 ? built.work(update, options) / seconds : null,
          speedUnit: built.unit,
        });
        return update;
      },
      ...(evaluate ? { evaluate } : {}),
    },
    observer: {
      answered: (kind, requestBytes, replyBytes) =>
        report({
          bytesDown: progress.bytesDown + requestBytes,
          bytesUp: progress.bytesUp + replyBytes,
          evaluations: progress.evaluations + (kind === 'evaluate' ? 1 : 0),
          resyncs: progress.resyncs + (kind === 'resync' ? 1 : 0),
        }),
      failed: fail,
    },
  });
  const transport = new SocketIoTransportClient({
    token: settings.token,
    sessionId: settings.sessionId,
    onConnectionChange: (connected) => post({ kind: connected ? 'connected' : 'disconnected' }),
  });
  client = device;
  try {
    await device.connect(transport, settings.edgeUrl);
  } catch (error) {
    client = undefined;
    throw error;
  }
  post({ kind: 'connected' });
}

async function stop(): Promise<void> {
  await client?.disconnect();
  client = undefined;
  post({ kind: 'stopped' });
}

/** Structured records to the worker's console (the page's devtools). */
function workerLogger(bindings: Record<string, unknown>): Logger {
  const log =
    (level: 'debug' | 'info' | 'warn' | 'error') =>
    (fields: object | string, message?: string): void => {
      if (typeof fields === 'string') console[level](fields, bindings);
      else console[level](message ?? '', { ...bindings, ...fields });
    };
  return {
    debug: log('debug'),
    info: log('info'),
    warn: log('warn'),
    error: log('error'),
    child: (more) => workerLogger({ ...bindings, ...more }),
  };
}

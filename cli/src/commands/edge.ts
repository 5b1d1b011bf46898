// `strata edge`: the edge daemon of one region. Serves its devices over socket.io, takes the region's jobs
// from BullMQ, serves /healthz and /metrics. Given a task that renders views (the coordinator's task, data,
// options and seed), it also renders its newest global model for its devices at POST /render: the model
// blob carries only tensors, the task gives the scene's geometry and march settings. It serves the browser
// device page at /device/ on the HTTP port, with demo splits of the task's data when the task builds its devices
// from per-device data (recsys/bpr-mf, recsys/neumf). Options: file, STRATA_* variables, flags (README, Operations).

import type { Command } from 'commander';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  ConfigError,
  offersCompactModels,
  rendersFrames,
  rendersViews,
  strategyNames,
  StrataError,
  type FederatedTask,
} from '@strata/shared';
import { BrowserDeviceSite, type BrowserDeviceSiteOptions } from '@strata/browser-device';
import { BprMfTask, NeuMFTask, RadianceVoxelGridTask, radianceDeviceData, recsysDeviceData } from '@strata/tasks';
import { createLogger } from '@strata/runtime';
import { EdgeDaemon, parseEdgeDaemonConfig } from '@strata/edge-node';
import {
  addConfigOptions,
  httpFields,
  loadDaemonConfig,
  printDryRun,
  redisFields,
  taskFields,
  type ConfigField,
} from '../flags/daemon-config.js';
import { buildDaemonTask, splitTaskConfig } from '../flags/daemon-task.js';
import { entropyField } from '../flags/entropy-flags.js';
import { onShutdownSignal } from '../flags/shutdown-signals.js';
import { fieldSources } from '../flags/config-fields.js';
import { addExamples } from '../console/help-text.js';

export const edgeFields: readonly ConfigField[] = [
  { path: 'region', flag: '--region', env: 'STRATA_REGION', type: 'string', description: 'the region this edge serves (required)' },
  {
    path: 'nodeId',
    flag: '--node-id',
    env: 'STRATA_NODE_ID',
    type: 'string',
    description: 'node id (default edge-<region>; distinct per replica)',
  },
  {
    path: 'listen.host',
    flag: '--host',
    env: 'STRATA_LISTEN_HOST',
    type: 'string',
    description: 'interface devices connect to (default 127.0.0.1)',
  },
  {
    path: 'listen.port',
    flag: '--port',
    env: 'STRATA_LISTEN_PORT',
    type: 'int',
    description: 'port devices connect to (default 7400; 0: any free port)',
  },
  {
    path: 'token',
    flag: '--token',
    env: 'STRATA_TOKEN',
    type: 'string',
    description: 'shared-token mode: the device token, at least 8 characters (prefer the env variable)',
  },
  {
    path: 'tls.certFile',
    flag: '--tls-cert',
    env: 'STRATA_TLS_CERT',
    type: 'string',
    description: 'serve devices over TLS: certificate chain (PEM)',
  },
  {
    path: 'tls.keyFile',
    flag: '--tls-key',
    env: 'STRATA_TLS_KEY',
    type: 'string',
    description: 'serve devices over TLS: private key (PEM)',
  },
  {
    path: 'trustedKeysFile',
    flag: '--trusted-keys',
    env: 'STRATA_TRUSTED_KEYS',
    type: 'string',
    description: 'credentials mode: PEM public keys of the credential issuers (strata credentials keygen)',
  },
  {
    path: 'strategy.name',
    flag: '--strategy',
    type: 'string',
    description: 'edge aggregation strategy (default fedavg)',
    choices: strategyNames,
  },
  { path: 'strategy.options', flag: '--strategy-option', type: 'key-values', description: 'edge strategy option key=value, repeatable' },
  {
    path: 'compression.dtype',
    flag: '--compression',
    type: 'string',
    description: "encoding of the edge's update to the cloud (default float32)",
    choices: ['float32', 'float16', 'int8'],
  },
  {
    ...entropyField('compression.entropy', "the edge's update to the cloud"),
  },
  {
    path: 'compression.topKFraction',
    flag: '--topk-fraction',
    type: 'number',
    description: 'top-k sparsification: the fraction of each dense tensor sent, largest magnitudes first (default 1: all)',
  },
  {
    path: 'minDevices',
    flag: '--min-devices',
    env: 'STRATA_MIN_DEVICES',
    type: 'int',
    description: 'take jobs only while this many devices are connected (default 1; 0: always)',
  },
  {
    path: 'queue.lockDurationMs',
    flag: '--lock-duration-ms',
    type: 'int',
    description: "BullMQ job lock; a dead edge's job is retried about this much later (default 30000)",
  },
  {
    path: 'queue.stalledIntervalMs',
    flag: '--stalled-interval-ms',
    type: 'int',
    description: 'how often stalled jobs are looked for (default 15000)',
  },
  {
    path: 'link.chunkBytes',
    flag: '--chunk-bytes',
    type: 'int',
    description: 'frames above this travel in chunks (default 4 MiB, at most --max-message-bytes)',
  },
  {
    path: 'link.maxHttpBufferSize',
    flag: '--max-message-bytes',
    type: 'int',
    description: 'largest websocket message accepted (default 8 MiB)',
  },
  { path: 'maxUpdateBytes', flag: '--max-update-bytes', type: 'int', description: 'largest device update accepted' },
  {
    path: 'shutdownGraceSeconds',
    flag: '--shutdown-grace',
    type: 'number',
    description: 'on SIGTERM, seconds the job in progress may take before it is handed back (default 30)',
  },
  ...redisFields,
  ...httpFields,
  // The task only serves rendering and demo data: without one the edge relays training jobs, /render answers
  // 404 and the browser device page offers no demo split.
  ...taskFields.map((field) =>
    field.path !== 'task'
      ? field
      : {
          ...field,
          description:
            'task whose views the edge renders for its devices at POST /render on the HTTP port, or whose demo splits it offers ' +
            'browser devices at /device/ (default: none); ' +
            "give it the coordinator's task, data, task options and seed",
        },
  ),
];

export function register(program: Command): void {
  const command = program.command('edge').description("run an edge daemon: serve a region's devices, take its jobs from BullMQ/Redis");
  addConfigOptions(command, edgeFields);
  addExamples(command, [
    'STRATA_TOKEN=a-device-token strata edge --region eu-west --port 7400',
    'STRATA_TOKEN=a-device-token strata edge --region eu-west --strategy median --min-devices 10',
    'STRATA_TOKEN=a-device-token strata edge --region eu-west --task radiance/voxel-grid --task-option procedural=true',
  ]);
  command.action(async (flags: Record<string, unknown>) => {
    const raw = loadDaemonConfig(edgeFields, flags);
    if (raw.task === undefined && (raw.taskOptions !== undefined || raw.data !== undefined)) {
      throw new ConfigError('task options or data were given without a task: name the task the edge renders (--task, STRATA_TASK)');
    }
    const named = raw.task !== undefined;
    const { task: taskConfig, rest } = splitTaskConfig(raw, false);
    const config = parseEdgeDaemonConfig(rest, fieldSources(edgeFields));
    const logger = createLogger('strata-edge');
    // The edge decides how it compresses its update; the downlink and clipping come in each job (daemon-task.ts).
    const task = named ? (await buildDaemonTask(taskConfig, { compression: config.compression })).task : undefined;
    const renderer = task && rendersViews(task) ? task : undefined;
    const deviceData = task && demoDeviceData(task);
    if (task && !renderer) logger.info({ task: task.id }, 'the task renders no single views: POST /render is not enabled');
    if (task && !deviceData) logger.info({ task: task.id }, 'the task offers no demo data: /device/data is not enabled');
    if (flags.dryRun) return printDryRun({ config, task: taskConfig, renders: renderer !== undefined, demoData: deviceData !== undefined });
    // The browser device page (/device/ on the HTTP port) joins this edge's device link, known once it listens.
    let daemon: EdgeDaemon | undefined;
    const site = new BrowserDeviceSite({
      region: config.region,
      edgeUrl: () => {
        if (!daemon) throw new StrataError('STRATA_ERR_NOT_STARTED', 'the edge is starting');
        return daemon.deviceUrl;
      },
      ...(deviceData ? { deviceData } : {}),
    });
    const routes = (request: IncomingMessage, response: ServerResponse): boolean => site.handle(request, response);
    const frames = task && rendersFrames(task) ? task : undefined;
    const compactModels = task && offersCompactModels(task) ? task : undefined;
    daemon = await EdgeDaemon.start(config, logger, {
      ...(renderer ? { renderer } : {}),
      ...(frames ? { frames } : {}),
      ...(compactModels ? { compactModels } : {}),
      ...(task?.checkUpdate ? { checkUpdate: task.checkUpdate.bind(task) } : {}),
      routes,
    });
    const started = daemon;
    onShutdownSignal(logger, async () => {
      await started.stop();
    });
  });
}

/** Per-device data a browser device page can fetch as its demo split (tasks whose devices are built from it). */
function demoDeviceData(task: FederatedTask): BrowserDeviceSiteOptions['deviceData'] {
  if (task instanceof RadianceVoxelGridTask) {
    return { task: task.id, numDevices: task.numDevices, get: (index) => radianceDeviceData(task, index) };
  }
  if (!(task instanceof BprMfTask || task instanceof NeuMFTask)) return undefined;
  return { task: task.id, numDevices: task.numDevices, get: (index) => recsysDeviceData(task, index) };
}

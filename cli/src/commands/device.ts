// `strata device`: simulated devices as a daemon. Builds the task from the registry, keeps only its own
// partitions' trainers (deviceIndex .. deviceIndex + count - 1), connects each to an edge of its region with
// failover, serves /healthz and /metrics. Options: file, STRATA_* variables, flags (README, Operations).

import type { Command } from 'commander';
import type { DeviceTrainer } from '@strata/shared';
import { createLogger } from '@strata/runtime/logging';
import { DeviceDaemon, parseDeviceDaemonConfig } from '@strata/device-client';
import { addConfigOptions, httpFields, loadDaemonConfig, printDryRun, taskFields, type ConfigField } from '../flags/daemon-config.js';
import { buildDaemonTask, splitTaskConfig } from '../flags/daemon-task.js';
import { entropyField } from '../flags/entropy-flags.js';
import { onShutdownSignal } from '../flags/shutdown-signals.js';
import { fieldSources } from '../flags/config-fields.js';
import { addExamples } from '../console/help-text.js';

export const deviceFields: readonly ConfigField[] = [
  {
    path: 'edges',
    flag: '--edges',
    env: 'STRATA_EDGES',
    type: 'list',
    description: 'edge URLs of the region in order of preference, comma-separated (required)',
  },
  { path: 'region', flag: '--region', env: 'STRATA_REGION', type: 'string', description: "the device's region (required)" },
  {
    path: 'token',
    flag: '--token',
    env: 'STRATA_TOKEN',
    type: 'string',
    description: "shared-token mode: the region's device token (prefer the env variable)",
  },
  {
    path: 'link.caFile',
    flag: '--tls-ca',
    env: 'STRATA_TLS_CA',
    type: 'string',
    description: 'CA certificate (PEM) to trust for https:// edges, besides the system store',
  },
  {
    path: 'credentialsFile',
    flag: '--credentials',
    env: 'STRATA_CREDENTIALS',
    type: 'string',
    description: 'credentials mode: file of signed credentials, one per line (strata credentials issue)',
  },
  {
    path: 'deviceIndex',
    flag: '--device-index',
    env: 'STRATA_DEVICE_INDEX',
    type: 'int',
    description: 'data partition of the (first) device (default 0)',
  },
  {
    path: 'count',
    flag: '--count',
    env: 'STRATA_DEVICE_COUNT',
    type: 'int',
    description: 'devices in this process: partitions device-index .. device-index + count - 1 (default 1)',
  },
  {
    path: 'nodeId',
    flag: '--node-id',
    env: 'STRATA_NODE_ID',
    type: 'string',
    description: 'node id of a single device (default device-<index + 1>)',
  },
  {
    path: 'compression.dtype',
    flag: '--compression',
    type: 'string',
    description: 'update encoding (default float32)',
    choices: ['float32', 'float16', 'int8'],
  },
  {
    ...entropyField('compression.entropy', "the device's updates"),
  },
  {
    path: 'compression.topKFraction',
    flag: '--topk-fraction',
    type: 'number',
    description: 'top-k sparsification: the fraction of each dense tensor sent, largest magnitudes first (default 1: all)',
  },
  {
    path: 'failoverSeconds',
    flag: '--failover-seconds',
    type: 'number',
    description: 'how long a lost edge may take to come back before moving to the next (default 2)',
  },
  {
    path: 'trainDelayMs',
    flag: '--train-delay-ms',
    type: 'int',
    description: 'added to every local training: emulates a slower device (default 0)',
  },
  ...httpFields,
  ...taskFields,
];

export function register(program: Command): void {
  const command = program
    .command('device')
    .description("run simulated devices: each trains on its own data partition and talks to its region's edge");
  addConfigOptions(command, deviceFields);
  addExamples(command, [
    'STRATA_TOKEN=a-device-token strata device --region eu-west --edges http://127.0.0.1:7400',
    'STRATA_TOKEN=a-device-token strata device --region eu-west --edges http://edge-a:7400,http://edge-b:7400 --device-index 0 --count 50',
    'STRATA_TOKEN=a-device-token strata device --region eu-west --edges http://127.0.0.1:7400 --compression int8',
  ]);
  command.action(async (flags: Record<string, unknown>) => {
    const { task: taskConfig, rest } = splitTaskConfig(loadDaemonConfig(deviceFields, flags), false);
    const config = parseDeviceDaemonConfig(rest, fieldSources(deviceFields));
    const logger = createLogger('strata-device');
    const trainers = new Map<number, DeviceTrainer>();
    let expectedShapes: Map<string, readonly number[]>;
    {
      // The task object holds every partition's data: keep only this process's trainers.
      const { task } = await buildDaemonTask(taskConfig, { compression: config.compression });
      for (let k = config.deviceIndex; k < config.deviceIndex + config.count; k++) trainers.set(k, task.createDevice(k));
      expectedShapes = new Map([...task.initModel()].map(([name, tensor]) => [name, tensor.shape]));
      if (flags.dryRun) return printDryRun({ config, task: task.describe(), devices: trainers.size });
    }
    const daemon = await DeviceDaemon.start(config, (k) => trainers.get(k)!, logger, expectedShapes);
    onShutdownSignal(logger, () => daemon.stop());
  });
}

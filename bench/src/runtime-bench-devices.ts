// The device processes of the runtime bench: `count` bench/perturb devices in one process, connected to one
// edge. On SIGTERM it writes one `stats <json>` line to stderr (requests answered, seconds spent answering
// them, CPU seconds since it was ready) for the bench's breakdown, then exits.
// Usage: node runtime-bench-devices.js <edge url> <token> <params> <first index> <count>

import { createLogger } from '@strata/runtime';
import { DeviceDaemon, parseDeviceDaemonConfig } from '@strata/device-client';
import { perturbTask } from './perturb-task.js';

/** What a device process reports to the bench when it stops. */
export interface DeviceProcessStats {
  /** Train requests answered by this process's devices. */
  readonly answered: number;
  /** Seconds its devices spent answering them (decode the request, train, encode the reply), summed. */
  readonly answerSeconds: number;
  /** CPU seconds (user + system) the process used after it was ready. */
  readonly cpuSeconds: number;
}

const [edge, token, params, first, count] = process.argv.slice(2);
const task = perturbTask(Number(params), Number(first) + Number(count));
const config = parseDeviceDaemonConfig({
  edges: [edge],
  region: 'bench',
  token,
  deviceIndex: Number(first),
  count: Number(count),
  http: { port: 0 },
});
const daemon = await DeviceDaemon.start(config, (k) => task.createDevice(k), createLogger('bench-devices', 'warn'));
const cpuAtReady = process.cpuUsage();
process.stderr.write('ready\n');
process.on(
  'SIGTERM',
  () =>
    void (async () => {
      const histogram = (await daemon.metrics.requestDuration.get()).values;
      const value = (name: string): number => histogram.find((v) => v.metricName === name && v.labels.kind === 'train')?.value ?? 0;
      const cpu = process.cpuUsage(cpuAtReady);
      const stats: DeviceProcessStats = {
        answered: value('strata_device_request_duration_seconds_count'),
        answerSeconds: value('strata_device_request_duration_seconds_sum'),
        cpuSeconds: (cpu.user + cpu.system) / 1e6,
      };
      process.stderr.write(`stats ${JSON.stringify(stats)}\n`);
      await daemon.stop();
      process.exit(0);
    })(),
);

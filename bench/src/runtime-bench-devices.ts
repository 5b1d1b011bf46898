// The device processes of the runtime bench: `count` bench/perturb devices in one process, connected to one
// edge. Usage: node runtime-bench-devices.js <edge url> <token> <params> <first index> <count>

import { createLogger } from '@strata/shared';
import { DeviceDaemon, parseDeviceDaemonConfig } from '@strata/device-client';
import { perturbTask } from './perturb-task.js';

const [edge, token, params, first, count] = process.argv.slice(2);
const task = perturbTask(Number(params), Number(first) + Number(count));
const config = parseDeviceDaemonConfig({
  edges: [edge], region: 'bench', token, deviceIndex: Number(first), count: Number(count), http: { port: 0 },
});
const daemon = await DeviceDaemon.start(config, (k) => task.createDevice(k), createLogger('bench-devices', 'warn'));
process.stderr.write('ready\n');
process.on('SIGTERM', () => void daemon.stop().then(() => process.exit(0)));

// @strata/cli: the `strata` command (bin/strata.js runs src/main.ts). Its entry exports what the system tests
// and benches drive directly: the embedded runtime, the live dashboard of an embedded run, the daemons'
// configuration sources, and the report writer.
export { EmbeddedTopology, embeddedRegions, embeddedTopologyOptions, type EmbeddedTopologyOptions } from './embedded/embedded-topology.js';
export { runEmbedded, type RunObserver } from './embedded/run-embedded.js';
export { EmbeddedDashboard } from './embedded/embedded-dashboard.js';
export { addConfigOptions, loadDaemonConfig, type ConfigField } from './flags/daemon-config.js';
export { buildDaemonTask, splitTaskConfig, type DaemonRun, type DaemonTaskConfig } from './flags/daemon-task.js';
export { coordinatorFields } from './commands/coordinator.js';
export { edgeFields } from './commands/edge.js';
export { deviceFields } from './commands/device.js';
export { renderRunReport, writeRunReport } from './report/index.js';
export { STRATA_BIN } from './strata-bin.js';

// The topology simulator's public surface: topology files, the virtual clock and simulated network, the
// simulation driver, time-to-accuracy comparison, and the real-network shaping proxy.
export { VirtualClock, SimulationStalledError, type Settled, type RunOptions } from './virtual-clock.js';
export { LinkPipe, binomial, PACKET_BYTES, MIN_RTO_MS, type LinkProfile, type LinkDirection, type LossMode } from './link-pipe.js';
export { SimNetwork, SimServer, SimEndpoint, ERROR_REPLY_BYTES, type Hop, type Route, type SimNetworkOptions } from './sim-network.js';
export { ComputeMeter, MeteredTrainer, chargeCompute, meterCompute } from './compute-meter.js';
export { LinkedJobQueue, JOB_MESSAGE_BYTES } from './linked-job-queue.js';
export { LinkedBlobStore } from './linked-blob-store.js';
export { ParticipationTimeline, type TimelineSummary } from './participation-timeline.js';
export { ALWAYS_ONLINE, DutyCycle, TraceAvailability, type AvailabilitySchedule } from './availability.js';
export { parseAvailabilityTrace, readAvailabilityTrace, type AvailabilityTrace } from './availability-trace.js';
export { topologySchema, type Topology, type DeviceGroup, type EdgeSpec, type LinkProfileSpec } from './topology-schema.js';
export { loadTopology, parseTopology, type LoadedTopology, type TopologyOverrides } from './load-topology.js';
export { planDevices, deviceCount, type PlannedDevice } from './device-plan.js';
export { TopologyRoutes } from './topology-routes.js';
export { createSimulationTask, type SimulationTask } from './simulation-task.js';
export {
  Simulation,
  TARGET_CUTOFF,
  VIRTUAL_LINK_SHAPING,
  type AdversaryReport,
  type SimulationOptions,
  type SimulationObserver,
  type SimulationFinal,
  type SimulatedRunRecord,
} from './simulation.js';
export { compareRuns, defaultTarget, firstReaching, type RunComparisonRow, type TargetReached } from './run-comparison.js';
export { ShapingProxy, type ShapingProxyOptions, type ShapingProxyStats, type ShapedRoute } from './real/shaping-proxy.js';
export { runOnRealNetwork, type RealNetworkRunOptions } from './real/real-network-run.js';
export { DaemonProcesses, DaemonProcessError, freePort, type DaemonProcess } from './real/daemon-processes.js';
export { anchorCentroid, promoteItem, targetHitRate, type PromotionSpec } from './item-promotion.js';
export { ATTACKS, AttackingTrainer, adversarySchema, chooseAttackers, type AdversarySpec, type Attack } from './adversary.js';
export {
  VIEWING_LINKS,
  VIEWING_DEVICES,
  viewingLink,
  viewingDevice,
  type ViewingLinkName,
  type ViewingDeviceName,
} from './viewing-profiles.js';
export * from './simulated-view-session.js';

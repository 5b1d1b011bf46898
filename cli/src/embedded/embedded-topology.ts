// The embedded default: a whole hierarchy in one process. The coordinator, edges and devices are the same
// classes the daemons run, wired by the in-process transport, an in-memory job queue and blob store.

import { Coordinator, type RoundOutcome, type EvaluationOutcome } from '@strata/coordinator';
import { DeviceClient } from '@strata/device-client';
import { EdgeNode, type EdgeNodeObserver } from '@strata/edge-node';
import {
  createStrategy,
  type Compression,
  type Downlink,
  type DeviceTrainer,
  type FederatedTask,
  type LinkStats,
  type HierFavgSchedule,
  type Logger,
  type UpdateDefences,
  type PrivacyConfig,
  type SecureAggregationConfig,
  type RunConfig,
  type BlobStore,
  type StateStore,
} from '@strata/shared';
import { InMemoryBlobStore, InMemoryJobQueue, InProcessNetwork, type InProcessServer } from '@strata/runtime';

export interface EmbeddedTopologyOptions {
  readonly task: FederatedTask;
  readonly edges: number;
  /** Devices to create (default: one per data partition). */
  readonly devices?: number;
  readonly schedule: HierFavgSchedule;
  readonly strategy: { name: string; options: Record<string, unknown> };
  readonly edgeStrategy: { name: string; options: Record<string, unknown> };
  readonly compression: Compression;
  /** How edges send models down (default: downlinkSchema's). */
  readonly downlink?: Downlink;
  readonly taskOptions: Record<string, number>;
  readonly seed: number;
  readonly defences?: UpdateDefences;
  /** User-level DP (central DP-FedAvg); off when absent. */
  readonly privacy?: PrivacyConfig;
  /** Secure aggregation at the edges; off when absent. */
  readonly secureAggregation?: SecureAggregationConfig;
  readonly logger: Logger;
  /** Called each time a device finishes local training (progress bars). */
  readonly onDeviceTrained?: () => void;
  /** Watches an edge (the live dashboard). */
  readonly edgeObserver?: (region: string, nodeId: string) => EdgeNodeObserver | undefined;
  /**
   * Where the coordinator's state and the blobs go (default: in memory, made and closed here). Given ones are
   * the caller's to close: a topology started again on them resumes where the last one stopped.
   */
  readonly stores?: { readonly state: StateStore; readonly blobs: BlobStore };
}

/**
 * The topology options a run config gives for `task` (its edges, devices, schedule, strategies, codecs,
 * defences, privacy and secure aggregation, the task's default options); `extra` adds or overrides the rest.
 */
export function embeddedTopologyOptions(
  config: RunConfig,
  task: FederatedTask,
  logger: Logger,
  extra: Partial<EmbeddedTopologyOptions> = {},
): EmbeddedTopologyOptions {
  return {
    task,
    edges: config.topology.edges,
    devices: config.topology.devices,
    schedule: config.schedule,
    strategy: config.strategy,
    edgeStrategy: config.edgeStrategy,
    compression: config.compression,
    downlink: config.downlink,
    taskOptions: task.defaultOptions(),
    seed: config.seed,
    defences: config.defences,
    privacy: config.privacy,
    secureAggregation: config.secureAggregation,
    logger,
    ...extra,
  };
}

/** The regions of an embedded topology with `edges` edges. */
export function embeddedRegions(edges: number): string[] {
  return Array.from({ length: edges }, (_, i) => `region-${i + 1}`);
}

export class EmbeddedTopology {
  readonly coordinator: Coordinator;
  readonly edges: EdgeNode[] = [];
  readonly devices: DeviceClient[] = [];
  private readonly network = new InProcessNetwork();
  private readonly servers: InProcessServer[] = [];
  private readonly queue = new InMemoryJobQueue();
  private readonly blobs: BlobStore;

  constructor(private readonly options: EmbeddedTopologyOptions) {
    const regions = embeddedRegions(options.edges);
    this.blobs = options.stores?.blobs ?? new InMemoryBlobStore();
    this.coordinator = new Coordinator({
      task: options.task,
      strategy: createStrategy(options.strategy.name, options.strategy.options),
      queue: this.queue,
      blobs: this.blobs,
      ...(options.stores ? { state: options.stores.state } : {}),
      regions,
      schedule: options.schedule,
      taskOptions: options.taskOptions,
      seed: options.seed,
      defences: options.defences,
      ...(options.privacy ? { privacy: options.privacy } : {}),
      ...(options.secureAggregation ? { secureAggregation: options.secureAggregation } : {}),
      // The coordinator sends the edges the model with the same downlink as they send it to their devices.
      ...(options.downlink ? { downlink: options.downlink } : {}),
      ...(options.downlink ? { modelBlobEntropy: options.downlink.entropy } : {}),
      logger: options.logger.child({ tier: 'coordinator' }),
    });
    for (const region of regions) {
      const nodeId = `edge-${region}`;
      this.edges.push(
        new EdgeNode({
          region,
          nodeId,
          server: this.listen(region),
          queue: this.queue,
          blobs: this.blobs,
          strategy: createStrategy(options.edgeStrategy.name, options.edgeStrategy.options),
          compression: options.compression,
          ...(options.downlink ? { downlink: options.downlink } : {}),
          logger: options.logger.child({ tier: 'edge', region }),
          observer: options.edgeObserver?.(region, nodeId),
          ...(options.task.checkUpdate ? { checkUpdate: options.task.checkUpdate.bind(options.task) } : {}),
        }),
      );
    }
  }

  /** Bytes the in-process links carried between the edges and their devices (as the transport counts them). */
  linkStats(): LinkStats {
    return this.servers.reduce(
      (sum, server) => ({ bytesDown: sum.bytesDown + server.stats().bytesDown, bytesUp: sum.bytesUp + server.stats().bytesUp }),
      {
        bytesDown: 0,
        bytesUp: 0,
      },
    );
  }

  private listen(region: string): InProcessServer {
    const server = this.network.listen(region);
    this.servers.push(server);
    return server;
  }

  /** The number of devices the topology holds. */
  get deviceCount(): number {
    return Math.min(this.options.devices ?? this.options.task.numDevices, this.options.task.numDevices);
  }

  /** Creates the devices (partition i on edge floor(i * edges / devices)), connects them, starts the tiers. */
  async start(): Promise<void> {
    const n = this.deviceCount;
    for (let i = 0; i < n; i++) {
      const edge = this.edges[Math.floor((i * this.edges.length) / n)];
      const device = new DeviceClient({
        nodeId: `device-${i + 1}`,
        region: edge.region,
        trainer: this.observe(this.options.task.createDevice(i)),
        compression: this.options.compression,
        logger: this.options.logger.child({ tier: 'device' }),
      });
      await device.connect(this.network, edge.region);
      this.devices.push(device);
    }
    for (const edge of this.edges) edge.start();
    await this.coordinator.start();
  }

  runRound(round: number): Promise<RoundOutcome> {
    return this.coordinator.runRound(round);
  }

  evaluate(round: number): Promise<EvaluationOutcome> {
    return this.coordinator.evaluate(round);
  }

  async stop(): Promise<void> {
    for (const edge of this.edges) await edge.stop();
    for (const device of this.devices) await device.disconnect();
    await this.queue.close();
    if (!this.options.stores) await this.blobs.close();
  }

  private observe(trainer: DeviceTrainer): DeviceTrainer {
    const onTrained = this.options.onDeviceTrained;
    if (!onTrained) return trainer;
    return {
      numSamples: trainer.numSamples,
      train: async (model, options) => {
        const update = await trainer.train(model, options);
        onTrained();
        return update;
      },
      evaluate: trainer.evaluate?.bind(trainer),
    };
  }
}

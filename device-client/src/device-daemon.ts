// The device daemon (`strata device`): runs one or more devices (each a DeviceClient with its own partition's
// trainer), keeps each connected to an edge of its region with failover, and serves /healthz and /metrics.

import { randomUUID } from 'node:crypto';
import { ConfigError, type DeviceTrainer, type Logger } from '@strata/shared';
import { startDaemonHttp, type DaemonHttp } from '@strata/runtime/http';
import { readCredentialsFile, readIdentityFile } from '@strata/runtime/identity';
import { DeviceClient } from './device-client.js';
import { DeviceMetrics } from './device-metrics.js';
import { EdgeFailoverLink } from './edge-failover-link.js';
import type { DeviceDaemonConfig } from './device-daemon-config.js';

export class DeviceDaemon {
  private stopping: Promise<void> | undefined;

  private constructor(
    private readonly logger: Logger,
    readonly metrics: DeviceMetrics,
    private readonly links: EdgeFailoverLink[],
    readonly devices: DeviceClient[],
    private readonly http: DaemonHttp,
  ) {}

  /**
   * Creates the devices (`createTrainer(k)` for each partition k of this process), connects each to an edge
   * and resolves once all are connected; rejects if an edge refuses the credentials.
   */
  static async start(
    config: DeviceDaemonConfig,
    createTrainer: (index: number) => DeviceTrainer,
    logger: Logger,
    expectedShapes?: ReadonlyMap<string, readonly number[]>,
  ): Promise<DeviceDaemon> {
    const metrics = new DeviceMetrics({ region: config.region });
    const devices: DeviceClient[] = [];
    const credentials = config.credentialsFile === undefined ? undefined : readCredentialsFile(config.credentialsFile);
    const handshakeToken = (nodeId: string): string | undefined => {
      if (!credentials) return config.token;
      const token = credentials.get(nodeId);
      if (token === undefined) throw new ConfigError(`${config.credentialsFile}: no credential issued for ${nodeId}`);
      return token;
    };
    const { caFile, ...link } = config.link;
    const ca = caFile === undefined ? {} : { ca: readIdentityFile(caFile, 'CA certificate') };
    const links: EdgeFailoverLink[] = [];
    for (let k = config.deviceIndex; k < config.deviceIndex + config.count; k++) {
      const nodeId = config.nodeId ?? `device-${k + 1}`;
      const device = new DeviceClient({
        nodeId,
        region: config.region,
        trainer: delayed(createTrainer(k), config.trainDelayMs),
        compression: config.compression,
        logger: logger.child({ deviceId: nodeId }),
        observer: metrics,
        maxRequestBytes: config.link.maxFrameBytes,
        ...(expectedShapes ? { expectedShapes } : {}),
      });
      devices.push(device);
      links.push(
        new EdgeFailoverLink(device, {
          edges: config.edges,
          sessionId: randomUUID(),
          failoverMs: config.failoverSeconds * 1000,
          logger,
          transport: { token: handshakeToken(nodeId), ...link, ...ca },
          onFailover: () => metrics.failovers.inc(),
        }),
      );
    }
    const connected = (): number => devices.filter((d) => d.connected).length;
    const http = await startDaemonHttp({
      host: config.http.host,
      port: config.http.port,
      metrics: {
        contentType: metrics.registry.contentType,
        metrics: () => {
          metrics.connected.set(connected());
          return metrics.registry.metrics();
        },
      },
      health: () => ({ ok: true, tier: 'device', region: config.region, devices: devices.length, connected: connected() }),
    });
    const daemon = new DeviceDaemon(logger, metrics, links, devices, http);
    try {
      await Promise.all(links.map((link) => link.connect()));
    } catch (error) {
      await daemon.stop();
      throw error;
    }
    logger.info(
      { region: config.region, devices: devices.map((d) => d.nodeId), edges: links.map((l) => l.edge), http: http.url },
      'devices ready',
    );
    return daemon;
  }

  get httpUrl(): string {
    return this.http.url;
  }

  /** Disconnects every device (a request in progress is abandoned: its edge counts it failed) and closes /metrics. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      await Promise.all(this.links.map((link) => link.stop()));
      await this.http.close();
      this.logger.info('devices stopped');
    })();
    return this.stopping;
  }
}

/** The trainer, slowed by `delayMs` per training (emulating a slower device). */
function delayed(trainer: DeviceTrainer, delayMs: number): DeviceTrainer {
  if (delayMs === 0) return trainer;
  return {
    numSamples: trainer.numSamples,
    train: async (model, options) => {
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      return trainer.train(model, options);
    },
    evaluate: trainer.evaluate?.bind(trainer),
  };
}

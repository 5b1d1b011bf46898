// The edge daemon (`strata edge`): an EdgeNode serving its region's devices over socket.io, taking the
// region's jobs from BullMQ, blobs in Redis, with /healthz and /metrics, and POST /render when it has a
// renderer (remote rendering of its newest global model for its devices). stop() is the graceful shutdown:
// stop taking jobs, let the job in progress finish (or hand it back after the grace period), close the links.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { createStrategy, redisLayout, type CompactModelSource, type Logger, type ViewFrameSource, type ViewRenderer } from '@strata/shared';
import {
  BullMqJobQueue,
  RedisBlobStore,
  RedisLiveChannel,
  RedisRevocationList,
  SocketIoTransportServer,
  TrustedKeys,
  bearerProblem,
  countingBlobStore,
  credentialVerifier,
  readIdentityFile,
  sameSecret,
  startDaemonHttp,
  type DaemonHttp,
} from '@strata/runtime';
import { EdgeNode, type EdgeNodeOptions } from './edge-node.js';
import { EdgeMetrics } from './edge-metrics.js';
import { EdgeLiveReporter, combineEdgeObservers } from './edge-live-reporter.js';
import { EdgeRenderService } from './edge-render-service.js';
import { EdgeCompactModelService } from './edge-compact-model-service.js';
import { EdgeViewSessions, VIEW_SESSION_NAMESPACE } from './edge-view-sessions.js';
import type { EdgeDaemonConfig } from './edge-daemon-config.js';

export interface EdgeDaemonStopResult {
  /** The job in progress outlived the grace period: it was left to be recovered by a replica (or a restart). */
  readonly handedBack: boolean;
}

export interface EdgeDaemonOptions {
  /** Renders views for devices at POST /render (from a task that renders views); without it the route answers 404. */
  readonly renderer?: ViewRenderer;
  /**
   * More routes on the HTTP port (the browser device page): answers and returns true when the request is one
   * of its own. Tried after /render.
   */
  readonly routes?: (request: IncomingMessage, response: ServerResponse) => boolean;
  /**
   * Renders frames for viewing sessions on the devices' socket.io link (namespace /view: remote and
   * co-rendering, edge-view-sessions.ts); without it the namespace is not served.
   */
  readonly frames?: ViewFrameSource;
  /** The compact model a device downloads to render itself (GET /compact-model); without it the route answers 404. */
  readonly compactModels?: CompactModelSource;
  /**
   * The task's own checks of a device's update (FederatedTask.checkUpdate), when the edge is started with the
   * coordinator's task; without them the edge checks structure and limits only, and the coordinator's
   * checkUpdate refuses the edge's whole update when a device's broke the task's rules.
   */
  readonly checkUpdate?: EdgeNodeOptions['checkUpdate'];
}

export class EdgeDaemon {
  private stopping: Promise<EdgeDaemonStopResult> | undefined;

  private constructor(
    private readonly config: EdgeDaemonConfig,
    private readonly logger: Logger,
    readonly metrics: EdgeMetrics,
    private readonly server: SocketIoTransportServer,
    private readonly queue: BullMqJobQueue,
    private readonly blobs: RedisBlobStore,
    private readonly edge: EdgeNode,
    private readonly http: DaemonHttp,
    private readonly live: { reporter: EdgeLiveReporter; channel: RedisLiveChannel },
    private readonly closeAuthentication: () => Promise<void>,
  ) {}

  static async start(config: EdgeDaemonConfig, logger: Logger, options: EdgeDaemonOptions = {}): Promise<EdgeDaemon> {
    const nodeId = config.nodeId ?? `edge-${config.region}`;
    const metrics = new EdgeMetrics({ region: config.region });
    const layout = redisLayout(config.redis);
    const strategy = createStrategy(config.strategy.name, config.strategy.options);
    const queue = new BullMqJobQueue({
      url: config.redis.url,
      prefix: layout.queuePrefix,
      ...config.queue,
      onError: (error, name) => logger.warn({ queue: name, error: error.message }, 'queue worker error'),
    });
    const blobs = new RedisBlobStore({ url: config.redis.url, prefix: layout.blobPrefix });
    const { sessionGraceSeconds, ...link } = config.link;
    const auth = deviceAuthentication(config);
    const server = await SocketIoTransportServer.listen({
      host: config.listen.host,
      port: config.listen.port,
      ...auth.link,
      ...(config.tls
        ? {
            tls: {
              cert: readIdentityFile(config.tls.certFile, 'TLS certificate'),
              key: readIdentityFile(config.tls.keyFile, 'TLS private key'),
            },
          }
        : {}),
      sessionGraceMs: sessionGraceSeconds * 1000,
      ...link,
      onRefusal: (reason, detail) => {
        metrics.refused(reason);
        logger.warn({ reason, detail }, 'transport refused a peer');
      },
    });
    server.onPeerChange((peer, event) => {
      logger.info({ deviceId: peer.info.nodeId, event, devices: server.peers().length }, `device ${event}`);
    });
    // The coordinator's dashboard hears of devices and progress through Redis (it runs in another process).
    const channel = new RedisLiveChannel({
      url: config.redis.url,
      prefix: config.redis.prefix,
      onError: (error) => logger.warn({ error: error.message }, 'live channel error'),
    });
    const reporter = new EdgeLiveReporter({
      region: config.region,
      nodeId,
      sink: (batch) => channel.publish(batch),
      intervalMs: 250,
      heartbeatMs: 5000,
      devices: () => server.peers().map((peer) => peer.info.nodeId),
    });
    const edge = new EdgeNode({
      region: config.region,
      nodeId,
      server,
      queue,
      strategy,
      compression: config.compression,
      downlink: config.downlink,
      blobs: countingBlobStore(blobs, {
        written: (bytes) => metrics.bytesSent.inc({ link: 'edge_cloud' }, bytes),
        read: (bytes) => metrics.bytesReceived.inc({ link: 'edge_cloud' }, bytes),
      }),
      logger,
      maxUpdateBytes: config.maxUpdateBytes,
      observer: combineEdgeObservers(metrics, reporter),
      minDevices: config.minDevices,
      ...(options.checkUpdate ? { checkUpdate: options.checkUpdate } : {}),
    });
    const render = new EdgeRenderService({
      renderer: options.renderer,
      authorize: auth.bearer,
      model: () => edge.latestModel,
      metrics,
      logger,
    });
    const compact = new EdgeCompactModelService({
      ...(options.compactModels ? { source: options.compactModels } : {}),
      authorize: auth.bearer,
      model: () => edge.latestModel,
      logger,
    });
    const frames = options.frames;
    if (frames) {
      new EdgeViewSessions({
        renderer: () => {
          const latest = edge.latestModel;
          return latest ? frames.frameRenderer(latest.model) : undefined;
        },
        authorize: auth.bearer,
        logger,
        onRefused: (message) => metrics.viewRefusals.inc({ message }),
        onFrame: () => metrics.viewFrames.inc(),
      }).attach(server.namespace(VIEW_SESSION_NAMESPACE));
    }
    const registry = metrics.registry;
    const http = await startDaemonHttp({
      host: config.http.host,
      port: config.http.port,
      routes: (request, response) =>
        render.handle(request, response) || compact.handle(request, response) || (options.routes?.(request, response) ?? false),
      metrics: {
        contentType: registry.contentType,
        metrics: () => {
          metrics.sample({ devices: server.peers().length, takingJobs: edge.takingJobs, link: server.stats() });
          return registry.metrics();
        },
      },
      health: () => ({
        ok: true,
        tier: 'edge',
        region: config.region,
        nodeId,
        devices: server.peers().length,
        takingJobs: edge.takingJobs,
        activeJob: edge.activeJob ?? null,
        rendering: render.enabled,
        modelVersion: edge.latestModel?.version ?? null,
      }),
    });
    edge.start();
    reporter.heartbeat();
    logger.info(
      {
        region: config.region,
        nodeId,
        devices: server.address,
        http: http.url,
        minDevices: config.minDevices,
        rendering: render.enabled,
      },
      'edge ready',
    );
    return new EdgeDaemon(config, logger, metrics, server, queue, blobs, edge, http, { reporter, channel }, auth.close);
  }

  /** The URL devices connect to. */
  get deviceUrl(): string {
    return this.server.address;
  }

  get httpUrl(): string {
    return this.http.url;
  }

  stop(): Promise<EdgeDaemonStopResult> {
    this.stopping ??= (async () => {
      const graceMs = this.config.shutdownGraceSeconds * 1000;
      let timer: NodeJS.Timeout | undefined;
      const finished = await Promise.race([
        this.edge.stop().then(() => true),
        new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), graceMs))),
      ]);
      clearTimeout(timer);
      this.live.reporter.stop();
      await this.live.channel.close();
      if (!finished) {
        // The job keeps its BullMQ lock until this process exits and stops renewing it; then a replica (or
        // this edge restarted) recovers it. Closing the queue here would wait for the job instead.
        this.logger.warn({ job: this.edge.activeJob, graceSeconds: this.config.shutdownGraceSeconds }, 'handing the job in progress back');
        await Promise.all([this.server.close(), this.http.close(), this.closeAuthentication()]);
        return { handedBack: true };
      }
      await this.server.close();
      await this.closeAuthentication();
      await this.queue.close();
      await this.blobs.close();
      await this.http.close();
      this.logger.info('edge stopped');
      return { handedBack: false };
    })();
    return this.stopping;
  }
}

/**
 * How the edge authenticates its devices: in credentials mode each presents its own signed credential (for
 * its id, the role device and this region, not revoked); in shared-token mode, the region's token.
 */
function deviceAuthentication(config: EdgeDaemonConfig): {
  link: { token: string } | { verify: ReturnType<typeof credentialVerifier> };
  bearer: (token: string) => Promise<boolean>;
  close: () => Promise<void>;
} {
  if (config.trustedKeysFile === undefined) {
    const token = config.token as string; // the config's refinement: one of the two is set
    return { link: { token }, bearer: async (bearer) => sameSecret(bearer, token), close: async () => {} };
  }
  const revocations = new RedisRevocationList({ url: config.redis.url, key: redisLayout(config.redis).revokedCredentialsKey });
  const options = { keys: new TrustedKeys(config.trustedKeysFile), region: config.region, revocations };
  return {
    link: { verify: credentialVerifier(options) },
    bearer: async (bearer) => (await bearerProblem(bearer, options)) === undefined,
    close: () => revocations.close(),
  };
}

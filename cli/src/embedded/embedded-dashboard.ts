// The live dashboard of an embedded run (`strata run`): the coordinator's dashboard server on its own port,
// fed directly by the run (rounds) and by each edge's live reporter (devices, progress), with a token made up
// for the run (or STRATA_DASHBOARD_TOKEN) that the printed link carries.

import { randomBytes } from 'node:crypto';
import { DashboardServer, DashboardState, type ListeningDashboard, type RenderPose } from '@strata/dashboard';
import { EdgeLiveReporter } from '@strata/edge-node';
import type { FederatedTask, Logger, RoundRecord } from '@strata/shared';
import type { RunConfig } from '@strata/shared';
import { embeddedRegions } from './embedded-topology.js';
import { RenderPreview } from './render-preview.js';
import type { RunObserver } from './run-embedded.js';

export const DEFAULT_DASHBOARD_PORT = 9400;

export interface EmbeddedDashboardOptions {
  readonly config: RunConfig;
  readonly headlineMetrics: readonly string[];
  readonly host: string;
  /** Undefined: DEFAULT_DASHBOARD_PORT, or any free port when that one is taken. */
  readonly port?: number;
  readonly logger: Logger;
  /** Shortest time between two page updates (default: the server's, 250 ms). */
  readonly intervalMs?: number;
  /** The run's task: its held-out renders and renders from a page's pose, when it keeps them (radiance). */
  readonly task?: FederatedTask;
}

export class EmbeddedDashboard {
  private constructor(
    private readonly state: DashboardState,
    private readonly listening: ListeningDashboard,
    /** The page's address with its token (`http://127.0.0.1:9400/#token=...`). */
    readonly url: string,
    private readonly preview: RenderPreview | undefined,
  ) {}

  static async start(options: EmbeddedDashboardOptions): Promise<EmbeddedDashboard> {
    const { config } = options;
    const token = process.env.STRATA_DASHBOARD_TOKEN || randomBytes(18).toString('base64url');
    const preview = options.task && new RenderPreview(options.task);
    const state = new DashboardState({
      task: config.task,
      mode: 'embedded',
      phase: 'starting',
      startedAt: Date.now(),
      rounds: config.schedule.rounds,
      regions: embeddedRegions(config.topology.edges),
      headlineMetrics: options.headlineMetrics,
      schedule: {
        kappa1: config.schedule.kappa1,
        kappa2: config.schedule.kappa2,
        fraction: config.schedule.fraction,
        quorum: config.schedule.quorum,
      },
      ...(preview?.renderable ? { renderable: true } : {}),
    });
    const serve = (port: number): Promise<ListeningDashboard> =>
      DashboardServer.listen({
        state,
        token,
        runsDir: config.runsDir,
        host: options.host,
        port,
        logger: options.logger,
        intervalMs: options.intervalMs,
        ...(preview?.renderable ? { renderer: (pose: RenderPose) => preview.render(pose) } : {}),
      });
    let listening: ListeningDashboard;
    try {
      listening = await serve(options.port ?? DEFAULT_DASHBOARD_PORT);
    } catch (error) {
      if (options.port !== undefined || (error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
      listening = await serve(0);
    }
    return new EmbeddedDashboard(state, listening, `${listening.url}/#token=${token}`, preview);
  }

  get server(): DashboardServer {
    return this.listening.server;
  }

  /**
   * What the run tells the dashboard: rounds starting and finishing, every edge's live events, and the task's
   * newest held-out render when it keeps them (radiance).
   */
  observer(): RunObserver {
    const state = this.state;
    const preview = this.preview;
    return {
      roundStarted: (round) => {
        if (state.run.phase !== 'running') state.updateRun({ phase: 'running' });
        state.roundStarted(round);
      },
      roundFinished: (record: RoundRecord) => {
        state.roundCommitted(record);
        const render = preview?.next(record.round);
        if (render) state.setRender(render);
      },
      edgeObserver: (region, nodeId) => new EdgeLiveReporter({ region, nodeId, sink: (batch) => state.edgeBatch(batch) }),
    };
  }

  /** Marks the run done (with its record's id, for the run picker) and sends the last update. */
  finished(runId: string | undefined, phase: 'done' | 'failed'): void {
    this.state.updateRun({ phase, ...(runId ? { runId } : {}) });
    this.listening.server.flush();
  }

  async close(): Promise<void> {
    await this.listening.close();
  }
}

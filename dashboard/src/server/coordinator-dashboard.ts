// The coordinator daemon's dashboard: the live state fed by the daemon's rounds and by the edges' live batches,
// which reach it over Redis pub/sub (the edges run in other processes), served on the daemon's HTTP endpoint.

import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { Logger, RedisOptions, RoundRecord } from '@strata/shared';
import { RedisLiveChannel } from '@strata/runtime';
import { DashboardServer } from './dashboard-server.js';
import { DashboardState } from './dashboard-state.js';
import type { DashboardOptions } from './dashboard-options.js';
import type { DashboardRunInfo } from './dashboard-protocol.js';

export interface CoordinatorDashboardOptions {
  readonly options: DashboardOptions;
  readonly run: Omit<DashboardRunInfo, 'mode' | 'phase' | 'startedAt'>;
  readonly redis: RedisOptions;
  readonly runsDir: string;
  readonly logger: Logger;
}

export class CoordinatorDashboard {
  readonly state: DashboardState;
  readonly server: DashboardServer;
  /** The token pages present (configured, or made up at startup). */
  readonly token: string;
  private readonly channel: RedisLiveChannel;

  constructor(private readonly options: CoordinatorDashboardOptions) {
    this.token = options.options.token ?? randomBytes(18).toString('base64url');
    this.state = new DashboardState({ ...options.run, mode: 'distributed', phase: 'waiting-for-lease', startedAt: Date.now() });
    this.server = new DashboardServer({
      state: this.state,
      token: this.token,
      runsDir: options.runsDir,
      intervalMs: options.options.intervalMs,
      logger: options.logger,
    });
    this.channel = new RedisLiveChannel({
      url: options.redis.url,
      prefix: options.redis.prefix,
      onError: (error) => options.logger.warn({ error: error.message }, 'dashboard: live channel error'),
    });
  }

  /** Serves the dashboard on the daemon's HTTP server and starts listening to the edges. */
  async attach(http: Server): Promise<void> {
    this.server.attach(http);
    await this.channel.subscribe((batch) => this.state.edgeBatch(batch));
  }

  phase(phase: string): void {
    this.state.updateRun({ phase });
  }

  /** Rounds committed before this coordinator started (a resumed run). */
  history(records: readonly RoundRecord[]): void {
    for (const record of records) this.state.roundCommitted(record);
  }

  roundStarted(round: number): void {
    this.state.roundStarted(round);
  }

  roundCommitted(record: RoundRecord): void {
    this.state.roundCommitted(record);
  }

  evaluated(round: number, metrics: Record<string, number>): void {
    this.state.evaluated(round, metrics);
  }

  finished(runId: string): void {
    this.state.updateRun({ phase: 'done', runId });
    this.server.flush();
  }

  async close(): Promise<void> {
    await this.server.close();
    await this.channel.close();
  }
}

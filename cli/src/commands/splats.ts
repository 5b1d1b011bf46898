// `strata splats [files...]`: serves the dashboard's splat viewer on its own (no run): the .ply files named
// here (each checked now to be a readable 3DGS .ply) and those in the runs folder's runs, such as the
// point_cloud.ply of `strata train radiance --model gaussians`. Prints the viewer's link with a fresh token
// (or STRATA_DASHBOARD_TOKEN) and serves until interrupted.

import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import { z } from 'zod';
import { parseConfig } from '@strata/shared';
import { DashboardServer, DashboardState } from '@strata/dashboard';
import { loadGaussianPly } from '@strata/tasks';
import { DEFAULT_DASHBOARD_PORT } from '../embedded/embedded-dashboard.js';

const splatsOptionsSchema = z
  .object({
    files: z.array(z.string().min(1)).default([]),
    runsDir: z.string().min(1).default('runs'),
    host: z.string().min(1).default('127.0.0.1'),
    port: z.coerce.number().int().min(0).max(65535).default(DEFAULT_DASHBOARD_PORT),
  })
  .strict();

export function register(program: Command): void {
  program
    .command('splats')
    .description("open Gaussian splat files (3DGS .ply) in the dashboard's splat viewer: the files named and the runs folder's")
    .argument('[files...]', '.ply files to offer (besides the runs folder’s)')
    .option('--runs-dir <dir>', 'runs whose folders hold .ply files', 'runs')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', `port (0: any free one; default ${DEFAULT_DASHBOARD_PORT})`)
    .action(async (files: string[], flags: Record<string, unknown>) => {
      await splatsCommand(parseConfig(splatsOptionsSchema, { ...flags, files }, 'strata splats'));
    });
}

async function splatsCommand(options: z.output<typeof splatsOptionsSchema>): Promise<void> {
  for (const file of options.files) {
    const cloud = loadGaussianPly(file);
    process.stdout.write(`${file}: ${cloud.count} Gaussians, spherical-harmonics degree ${cloud.shDegree}\n`);
  }
  const token = process.env.STRATA_DASHBOARD_TOKEN || randomBytes(18).toString('base64url');
  const state = new DashboardState({
    task: 'splat viewer',
    mode: 'embedded',
    phase: 'done',
    startedAt: Date.now(),
    rounds: 0,
    regions: [],
    schedule: { kappa1: 0, kappa2: 0, fraction: 0, quorum: 0 },
    headlineMetrics: [],
  });
  const dashboard = await DashboardServer.listen({
    state,
    token,
    runsDir: options.runsDir,
    splatFiles: options.files,
    host: options.host,
    port: options.port,
  });
  process.stdout.write(`splat viewer ${dashboard.url}/splats#token=${token}\n`);
  await new Promise<void>((resolve) => {
    const stop = (): void => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await dashboard.close();
}

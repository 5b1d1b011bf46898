// The coordinator daemon's dashboard options (`dashboard:` in its configuration).

import { z } from 'zod';

export const dashboardOptionsSchema = z
  .object({
    /** Serve the dashboard at `/` of the daemon's HTTP endpoint (beside /healthz and /metrics). */
    enabled: z.boolean().default(true),
    /**
     * The bearer token pages must present. Absent: one is made up at startup and logged with the
     * dashboard's link (set one in deployments, e.g. from a Secret, so that links survive restarts).
     */
    token: z.string().min(8, 'must be at least 8 characters').optional(),
    /** Shortest time between two page updates, ms. */
    intervalMs: z.number().int().min(50).max(10_000).default(250),
  })
  .strict();

export type DashboardOptions = z.output<typeof dashboardOptionsSchema>;

// Secure aggregation at the edges (SecAgg+): each edge learns only the sum of its devices' updates. The
// protocol is in privacy/secagg; this is what a run configures, and which configurations it refuses.

import { z } from 'zod';
import type { PrivacyConfig } from './privacy-config.js';

export const secureAggregationSchema = z
  .object({
    enabled: z.boolean().default(false),
    /** R: each fixed-point value (an update value times its weight over the weight cap) is clipped to [-R, R]. */
    clipRange: z.number().positive().default(1),
    /** The fraction of devices a round must survive losing between its steps; sets the graph degree k. */
    dropoutRate: z
      .number()
      .min(0)
      .lt(0.5)
      .default(1 / 3),
    /** A training metric (a weighted sum, e.g. loss) is at most this per unit of weight; larger ones are clipped. */
    metricBound: z.number().positive().default(100),
    /** How long each of the protocol's three exchanges after training may take, seconds. */
    stepSeconds: z.number().positive().default(30),
  })
  .strict();

export type SecureAggregationConfig = z.output<typeof secureAggregationSchema>;
export const DEFAULT_SECURE_AGGREGATION: SecureAggregationConfig = secureAggregationSchema.parse({});

/** Edge strategies that read individual updates (order statistics, distances): impossible over a masked sum. */
export const ROBUST_STRATEGIES: readonly string[] = ['median', 'trimmed-mean', 'krum'];

/** Why a configuration cannot run with secure aggregation (null when it can). */
export function secureAggregationConflict(
  secure: SecureAggregationConfig,
  edgeStrategy: string,
  privacy: Pick<PrivacyConfig, 'mode' | 'clipNorm'>,
): string | null {
  if (!secure.enabled) {
    if (privacy.mode !== 'distributed') return null;
    return (
      'privacy.mode distributed has each device add its share of the noise, which protects only inside a masked ' +
      'sum: turn on secure aggregation (--secure-aggregation), or use privacy.mode central'
    );
  }
  if (privacy.mode === 'distributed' && privacy.clipNorm > secure.clipRange) {
    return (
      `privacy.clipNorm ${privacy.clipNorm} is over secureAggregation.clipRange ${secure.clipRange}: a clipped coordinate ` +
      'would be cut again by the fixed-point codec; raise --secagg-clip-range to at least the clip norm plus a few noise deviations'
    );
  }
  if (ROBUST_STRATEGIES.includes(edgeStrategy)) {
    return (
      `edge strategy ${edgeStrategy} reads each device's update, which secure aggregation hides from the edge: ` +
      'run robust strategies at the cloud (--strategy) over edge sums, and a weighted-mean strategy at the edges'
    );
  }
  if (privacy.mode === 'central') {
    return (
      'privacy.mode central clips each device update at the edge, which secure aggregation hides from the edge: ' +
      'use privacy.mode distributed (devices clip their own updates and add their share of the noise)'
    );
  }
  return null;
}

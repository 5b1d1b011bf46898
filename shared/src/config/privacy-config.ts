// User-level differential privacy of a run (DP-FedAvg, McMahan et al. 2018). Central: edges clip each device
// update to clipNorm and send the sum, the coordinator adds N(0, σ²C²) to the sum of sums and divides by
// the number of devices selected. Distributed (with secure aggregation): each device clips its own update
// and adds N(0, σ²C²/t) for a session threshold t, so an edge's masked sum over at least t devices carries
// at least N(0, σ²C²); the coordinator adds no noise. Either way the accountant says what ε the released
// models have spent at delta.

import { z } from 'zod';

export const privacySchema = z
  .object({
    /**
     * off: plain FedAvg; central: clipping at the edges, noise at the coordinator; distributed: clipping and
     * noise shares on the devices, summed under secure aggregation (needs secureAggregation.enabled).
     */
    mode: z.enum(['off', 'central', 'distributed']).default('off'),
    /** C: each device update is scaled to L2 norm at most this (the sum's sensitivity). */
    clipNorm: z.number().positive().default(1),
    /** σ: the noise standard deviation over C. */
    noiseMultiplier: z.number().positive().default(1),
    delta: z.number().gt(0).lt(1).default(1e-5),
    /** The run stops before a round whose release would spend more than this ε. */
    targetEpsilon: z.number().positive().optional(),
    /**
     * Adaptive clipping (Andrew et al. 2021; central mode): clipNorm is the first round's C, which then tracks
     * the targetQuantile of the devices' update norms, stepped by a noised count of the updates within C.
     */
    adaptiveClip: z
      .strictObject({
        /** γ: the quantile of update norms C should track (0.5: the median). */
        targetQuantile: z.number().min(0).max(1).default(0.5),
        /** η: the step of log C per unit of quantile error (the paper's 0.2). */
        learningRate: z.number().positive().default(0.2),
        /** σ_b: the noise std on the count of updates within C; the paper suggests devices per round / 20. */
        countNoiseStd: z.number().positive(),
      })
      .optional(),
  })
  .strict();

export type PrivacyConfig = z.output<typeof privacySchema>;
export const DEFAULT_PRIVACY: PrivacyConfig = privacySchema.parse({});

/**
 * Why a configuration cannot run with DP on (null when it can): one DP round is one edge iteration, and
 * adaptive clipping needs central mode and count noise that leaves budget for the updates.
 */
export function privacyConflict(privacy: PrivacyConfig, kappa2: number): string | null {
  const adaptive = privacy.adaptiveClip;
  if (adaptive && privacy.mode !== 'central') {
    return `privacy.adaptiveClip runs with privacy.mode central only (got ${privacy.mode}): under secure aggregation no edge sees which updates were clipped`;
  }
  if (adaptive && !(adaptive.countNoiseStd > privacy.noiseMultiplier / 2)) {
    return (
      `privacy.adaptiveClip.countNoiseStd ${adaptive.countNoiseStd} must exceed noiseMultiplier / 2 = ${privacy.noiseMultiplier / 2}: ` +
      'the count and the update sum share one noise budget, and a count noised less would leave none for the updates'
    );
  }
  if (privacy.mode === 'off' || kappa2 === 1) return null;
  return (
    `privacy.mode ${privacy.mode} needs schedule.kappa2 = 1 (got ${kappa2}): the edges' intermediate models would be ` +
    'released without noise; run more cloud rounds instead'
  );
}

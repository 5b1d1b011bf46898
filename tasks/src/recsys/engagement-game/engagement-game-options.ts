// Options of the engagement game (`strata game`): the embedding space it is played in (a BPR-MF trained on the
// interactions), the producers, the serving rules compared, and the best-response dynamics' stopping rule.

import { z } from 'zod';
import { parseOptions } from '@strata/shared';

export const engagementGameOptionsSchema = z.strictObject({
  producers: z.number().int().min(2).default(10).describe('producers, each placing one piece of content'),
  dim: z.number().int().min(2).default(16).describe("embedding size of the BPR-MF whose space the game is played in (its 'features')"),
  temperatures: z
    .array(z.number().positive())
    .min(1)
    .default([0.1, 0.3, 1, 3])
    .describe('softmax serving temperatures, in units of the standard deviation of user-content scores'),
  hardmax: z.boolean().default(true).describe('also play under hardmax serving (each user sees only their best-scored content)'),
  maxSweeps: z.number().int().min(1).default(100).describe('rounds of best responses (every producer in turn) before giving up'),
  seed: z.number().int().min(0).default(0).describe("seeds the BPR-MF and the producers' starting positions"),
});

export type EngagementGameOptions = z.output<typeof engagementGameOptionsSchema>;

/** The defaults overridden by `options`, validated; a bad or unknown option is a ConfigError naming it. */
export function resolveEngagementGameOptions(options: Readonly<Record<string, unknown>> = {}): EngagementGameOptions {
  return parseOptions('engagement game', engagementGameOptionsSchema, options);
}

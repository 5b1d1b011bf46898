// The options a user types for a captured scene (snake_case keys, as `--data DIR` will take them), with their
// help text and defaults in one zod schema; a wrong key or value fails naming it and what is allowed.

import { z } from 'zod';
import { ConfigError } from '@strata/shared';
import type { CapturedSceneOptions } from './captured-scene.js';

export const capturedSceneOptionsSchema = z
  .object({
    resolution: z.number().int().min(1).default(100)
      .describe('image width in pixels the views are box-filtered to (height keeps the aspect ratio)'),
    hold_out_every: z.number().int().min(0).default(8)
      .describe('views i with i % n == 0 (in file-name order) are held out, unless the format names its own split ' +
        '(nerfstudio test_filenames); 0 holds out none'),
    contraction: z.enum(['auto', 'on', 'off']).default('auto')
      .describe('scene contraction for unbounded backgrounds: auto contracts beyond the cameras unless the format says ' +
        'the scene is bounded (instant-ngp aabb_scale 1) or the image borders are a uniform backdrop'),
  })
  .strict();

export type CapturedSceneUserOptions = z.input<typeof capturedSceneOptionsSchema>;

/** Validates user options (snake_case) into the loader's options. */
export function parseCapturedSceneOptions(raw: Record<string, unknown>): CapturedSceneOptions {
  const parsed = capturedSceneOptionsSchema.safeParse(raw);
  if (!parsed.success) {
    const known = Object.keys(capturedSceneOptionsSchema.shape).join(', ');
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || 'options'}: ${i.message}`).join('; ');
    throw new ConfigError(`captured scene options: ${issues} (options: ${known})`);
  }
  const o = parsed.data;
  return { resolution: o.resolution, holdOutEvery: o.hold_out_every, contraction: o.contraction };
}

// How updates are encoded on their way up the hierarchy (models on the way down: model-downlink.ts).

import { z } from 'zod';
import { ENTROPY_CODINGS } from '../wire/entropy-codecs.js';

export const compressionSchema = z
  .object({
    dtype: z.enum(['float32', 'float16', 'int8']).default('float32'),
    /** int8 only: one scale per row instead of one per tensor (rows of fewer than 4 values go as bfloat16). */
    perRowScale: z.boolean().default(true),
    /**
     * Top-k sparsification of dense tensors: send only this fraction of each one's elements, those of largest
     * magnitude, with their indices (1 or absent: every element). With error feedback the rest waits for
     * later rounds.
     */
    topKFraction: z.number().gt(0).max(1).optional(),
    /** Lossy encodings only: carry the quantisation (and sparsification) residual into the next round's update. */
    errorFeedback: z.boolean().default(true),
    /** The entropy stage over each update frame (frame-compression.ts): brotli, or none. Lossless. */
    entropy: z.enum(ENTROPY_CODINGS).default('brotli'),
  })
  .strict();

export type Compression = z.output<typeof compressionSchema>;

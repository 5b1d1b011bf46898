// How updates are encoded on their way up the hierarchy (models on the way down: model-downlink.ts).

import { z } from 'zod';

export const compressionSchema = z
  .object({
    dtype: z.enum(['float32', 'float16', 'int8']).default('float32'),
    /** int8 only: one scale per row instead of one per tensor. */
    perRowScale: z.boolean().default(true),
    /** Lossy dtypes only: carry the quantisation residual into the next round's update. */
    errorFeedback: z.boolean().default(true),
  })
  .strict();

export type Compression = z.output<typeof compressionSchema>;

// Brotli from node:zlib as the links' entropy coder (@strata/shared's entropy-codecs.ts). Node processes call
// registerNodeEntropyCodecs() once at start (the CLI does, for every command): from then on frames are
// compressed where their settings ask for it and compressed frames from peers are read.

import { brotliCompressSync, brotliDecompressSync, constants } from 'node:zlib';
import { registerEntropyCodec, type EntropyCodec } from '@strata/shared';

/**
 * Brotli quality for frames, chosen on recorded frames of `npm start` and the lego proxy by bytes against CPU
 * time (docs/decisions.md, "entropy stage"): 4 is within 0.1-0.3% of 5's bytes at twice its speed (about
 * 100 MB/s), 3 sends 0.6-1.2% more bytes.
 */
export const FRAME_BROTLI_QUALITY = 4;

/** Brotli for frames at `quality`; decompression never allocates more than its bound. */
export function nodeBrotliCodec(quality = FRAME_BROTLI_QUALITY): EntropyCodec {
  return {
    compress: (bytes) =>
      brotliCompressSync(bytes, {
        params: {
          [constants.BROTLI_PARAM_QUALITY]: quality,
          [constants.BROTLI_PARAM_SIZE_HINT]: bytes.byteLength,
        },
      }),
    decompress: (bytes, maxBytes) => brotliDecompressSync(bytes, { maxOutputLength: maxBytes }),
  };
}

/** Registers node:zlib's brotli for every frame this process sends and receives. */
export function registerNodeEntropyCodecs(): void {
  registerEntropyCodec('brotli', nodeBrotliCodec());
}

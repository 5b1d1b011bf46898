// Reproducible test payloads: bytes from a seed, so a corrupted or reordered chunk is caught and a failure
// replays exactly.

import { SeededRandom } from '@strata/shared';

export function seededBytes(seed: number, length: number): Uint8Array {
  const random = new SeededRandom(seed);
  const words = new Uint32Array(Math.ceil(length / 4));
  for (let i = 0; i < words.length; i++) words[i] = random.nextUint32();
  return new Uint8Array(words.buffer, 0, length);
}

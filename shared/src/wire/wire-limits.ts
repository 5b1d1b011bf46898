// Bounds on what a decoder accepts from a peer, so that a hostile or broken frame cannot make it allocate
// without limit. Every decoder takes a partial override of these.

import { ConfigError } from '../errors.js';

export interface WireLimits {
  /** Largest frame accepted (bytes), checked before decoding. */
  readonly maxFrameBytes: number;
  /** Largest tensor accepted, in elements of its full shape (a sparse tensor's shape counts in full). */
  readonly maxTensorElements: number;
  /** Largest number of axes a tensor may have. */
  readonly maxTensorRank: number;
}

export const DEFAULT_WIRE_LIMITS: WireLimits = {
  maxFrameBytes: 256 * 1024 * 1024,
  maxTensorElements: 2 ** 28,
  maxTensorRank: 8,
};

/** The defaults with `overrides` applied; every value must be a positive integer. */
export function wireLimits(overrides: Partial<WireLimits> = {}): WireLimits {
  const limits = { ...DEFAULT_WIRE_LIMITS, ...overrides };
  for (const [key, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value <= 0) throw new ConfigError(`wire limit ${key} must be a positive integer, got ${value}`);
  }
  return limits;
}

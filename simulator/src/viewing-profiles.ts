// Link and device profiles for viewing sessions (remote and co-rendering behind the shaping proxy): access
// links as a device sees them, and device CPUs relative to one core of the machine running the session.
// The link figures are typical published ones (one-way latency, so a round trip is twice it), not
// measurements of a particular network; the two plain links (20 Mbit/s with 40 ms, 1 Gbit/s with 5 ms) are
// the test points.

import { ConfigError } from '@strata/shared';
import { linkProfileSchema, type LinkProfileSpec } from './topology-schema.js';

export const VIEWING_LINKS = {
  '5g-mmwave': linkProfileSchema.parse({ latencyMs: 5, jitterMs: 2, upMbps: 100, downMbps: 1000, loss: 0.0005 }),
  lte: linkProfileSchema.parse({ latencyMs: 30, jitterMs: 8, upMbps: 10, downMbps: 40, loss: 0.001 }),
  wifi: linkProfileSchema.parse({ latencyMs: 3, jitterMs: 2, upMbps: 50, downMbps: 150, loss: 0.001 }),
  '20mbit-40ms': linkProfileSchema.parse({ latencyMs: 40, upMbps: 20, downMbps: 20 }),
  '1gbit-5ms': linkProfileSchema.parse({ latencyMs: 5, upMbps: 1000, downMbps: 1000 }),
} as const satisfies Record<string, LinkProfileSpec>;

export type ViewingLinkName = keyof typeof VIEWING_LINKS;

/** Device CPUs: `cpuSpeed` relative to one core of the machine the session runs on. */
export const VIEWING_DEVICES = {
  /** A phone's big core renders this march at about 0.4x a desktop core (and throttles; not modelled). */
  phone: { cpuSpeed: 0.4 },
  laptop: { cpuSpeed: 1 },
} as const;

export type ViewingDeviceName = keyof typeof VIEWING_DEVICES;

export function viewingLink(name: string): LinkProfileSpec {
  if (!Object.hasOwn(VIEWING_LINKS, name))
    throw new ConfigError(`unknown viewing link "${name}": one of ${Object.keys(VIEWING_LINKS).join(', ')}`);
  return VIEWING_LINKS[name as ViewingLinkName];
}

export function viewingDevice(name: string): { cpuSpeed: number } {
  if (!Object.hasOwn(VIEWING_DEVICES, name))
    throw new ConfigError(`unknown viewing device "${name}": one of ${Object.keys(VIEWING_DEVICES).join(', ')}`);
  return VIEWING_DEVICES[name as ViewingDeviceName];
}

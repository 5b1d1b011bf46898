// The --downlink flags shared by `strata run`, `strata train radiance --federated` and `strata coordinator`:
// how edges send models down to their devices (model-downlink.ts), with defaults a command may set for its task.

import { Option } from 'commander';
import { downlinkSchema, type Downlink } from '@strata/shared';
import type { ConfigField } from './config-fields.js';

export interface DownlinkFlags {
  downlink: Downlink['dtype'];
  downlinkRows: number;
  downlinkEnergy: number;
}

/** The flags, defaulting to `defaults` (the schema's where not given). */
export function downlinkOptions(defaults: Partial<Downlink> = {}): Option[] {
  const d = downlinkSchema.parse(defaults);
  return [
    new Option('--downlink <dtype>', 'model patches on the way down: float32 (lossless) or a quantised difference')
      .choices(['float32', 'float16', 'int8'])
      .default(d.dtype),
    new Option('--downlink-rows <fraction>', 'send at most this fraction of rows per patch, those that changed most')
      .argParser(Number.parseFloat)
      .default(d.rowFraction),
    new Option('--downlink-energy <share>', "send only the rows carrying this share of the change's squared norm")
      .argParser(Number.parseFloat)
      .default(d.energy),
  ];
}

/** The run configuration's downlink from the flags, unchecked: parseRunConfig checks it and names a bad value. */
export function downlinkFromFlags(flags: DownlinkFlags): Pick<Downlink, 'dtype' | 'rowFraction' | 'energy'> {
  return { dtype: flags.downlink, rowFraction: flags.downlinkRows, energy: flags.downlinkEnergy };
}

/** The same flags as fields of a daemon's configuration (`strata coordinator`, which sends the downlink to its edges). */
export const downlinkFields: readonly ConfigField[] = [
  {
    path: 'downlink.dtype',
    flag: '--downlink',
    env: 'STRATA_DOWNLINK',
    type: 'string',
    description:
      'model patches on the way down, sent to the edges in every job: float32 (lossless) or a quantised difference (default int8)',
    choices: ['float32', 'float16', 'int8'],
  },
  {
    path: 'downlink.rowFraction',
    flag: '--downlink-rows',
    type: 'number',
    description: 'send at most this fraction of rows per patch, those that changed most (default 0.25)',
  },
  {
    path: 'downlink.energy',
    flag: '--downlink-energy',
    type: 'number',
    description: "send only the rows carrying this share of the change's squared norm (default 1)",
  },
];

// The --entropy flag: the entropy stage (brotli) over every frame on the links (@strata/shared's
// frame-compression.ts). `strata run` and `strata train radiance --federated` set both directions with it;
// a daemon sets what it sends: a device or an edge its uploads (compression.entropy), the coordinator the
// downlink it puts in every job and its model blobs (downlink.entropy).

import { Option } from 'commander';
import { ENTROPY_CODINGS, type EntropyCoding } from '@strata/shared';
import type { ConfigField } from './config-fields.js';

export interface EntropyFlags {
  entropy: EntropyCoding;
}

const DESCRIPTION = 'entropy stage over every frame on the links (lossless): brotli or none';

export function entropyOption(): Option {
  return new Option('--entropy <coding>', DESCRIPTION).choices(ENTROPY_CODINGS).default('brotli');
}

/** The daemon field for `path` (compression.entropy on devices and edges, downlink.entropy on the coordinator). */
export function entropyField(path: 'compression.entropy' | 'downlink.entropy', what: string): ConfigField {
  return {
    path,
    flag: '--entropy',
    env: 'STRATA_ENTROPY',
    type: 'string',
    description: `entropy stage over ${what} (lossless): brotli or none (default brotli)`,
    choices: ENTROPY_CODINGS,
  };
}

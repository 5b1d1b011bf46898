// Where the `strata` command's script is, for whatever starts daemons as processes (the simulator's
// real-network mode, system tests, benches): `node <STRATA_BIN> <command> ...` runs what users run.

import { fileURLToPath } from 'node:url';

/** cli/bin/strata.js (this file is cli/dist/src/strata-bin.js). */
export const STRATA_BIN = fileURLToPath(new URL('../../bin/strata.js', import.meta.url));

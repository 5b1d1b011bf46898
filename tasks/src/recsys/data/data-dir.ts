// Where the shared data sets live: `<repo root>/../shared/data`, or $STRATA_DATA_DIR when set. The repo root
// is the nearest ancestor of this module whose package.json declares npm workspaces.

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DataError } from '@strata/shared';

/** The repository root: the nearest directory above `from` whose package.json has "workspaces". */
export function findRepoRoot(from: string = dirname(fileURLToPath(import.meta.url))): string {
  let dir = resolve(from);
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      const parsed = JSON.parse(readFileSync(manifest, 'utf8')) as { workspaces?: unknown };
      if (parsed.workspaces !== undefined) return dir;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new DataError(`no package.json with "workspaces" above ${from}: cannot find the repo root`);
    dir = parent;
  }
}

/** The shared data folder ($STRATA_DATA_DIR, else `<repo root>/../shared/data`). */
export function resolveDataDir(env: NodeJS.ProcessEnv = process.env): string {
  const override = env.STRATA_DATA_DIR;
  if (override !== undefined && override !== '') return resolve(override);
  return join(findRepoRoot(), '..', 'shared', 'data');
}

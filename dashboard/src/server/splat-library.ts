// The Gaussian splat files the dashboard's splat viewer can open: the `.ply` files in each finished run's
// folder (`<runsDir>/<id>/*.ply`, as `strata train radiance --model gaussians` writes point_cloud.ply) and the
// files named on the command line. A page asks for a file by source and name from the list, never by a path:
// both parts must match a plain-name pattern (no separators, no `..`), and the resolved real path must still be
// inside the run's folder, so a symbolic link cannot lead out of it.

import { existsSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { basename, join, resolve, sep } from 'node:path';
import { ConfigError } from '@strata/shared';

const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$/;
const SPLAT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,200}\.ply$/;
/** The source of files named on the command line (run ids never start with a dash). */
export const COMMAND_LINE_SOURCE = '-';

export interface SplatFileEntry {
  /** A run id, or `-` for a file named on the command line. */
  readonly source: string;
  readonly name: string;
  readonly bytes: number;
}

export class SplatLibrary {
  private readonly named = new Map<string, string>();

  /** `files`: .ply files given on the command line (checked now: a missing one is a configuration error). */
  constructor(
    private readonly runsDir: string | undefined,
    files: readonly string[] = [],
  ) {
    for (const file of files) {
      const name = basename(file);
      if (!SPLAT_NAME.test(name)) throw new ConfigError(`splat file ${file}: the name must be letters, digits, . _ - and end in .ply`);
      if (!existsSync(file) || !statSync(file).isFile()) throw new ConfigError(`splat file ${file} does not exist or is not a file`);
      if (this.named.has(name)) throw new ConfigError(`two splat files are named ${name}: rename one`);
      this.named.set(name, resolve(file));
    }
  }

  list(): SplatFileEntry[] {
    const entries: SplatFileEntry[] = [];
    for (const [name, path] of this.named) entries.push({ source: COMMAND_LINE_SOURCE, name, bytes: sizeOf(path) });
    if (this.runsDir === undefined) return entries;
    let runs: string[];
    try {
      runs = readdirSync(this.runsDir).filter((id) => RUN_ID.test(id));
    } catch {
      return entries;
    }
    for (const id of runs.sort().reverse()) {
      let names: string[];
      try {
        names = readdirSync(join(this.runsDir, id));
      } catch {
        continue;
      }
      for (const name of names.filter((n) => SPLAT_NAME.test(n)).sort()) {
        const path = this.resolve(id, name);
        if (path !== undefined) entries.push({ source: id, name, bytes: sizeOf(path) });
      }
    }
    return entries;
  }

  /** The file's path, or undefined when `source`/`name` is no listed splat file (whatever the reason). */
  resolve(source: string, name: string): string | undefined {
    if (!SPLAT_NAME.test(name)) return undefined;
    if (source === COMMAND_LINE_SOURCE) return this.named.get(name);
    if (this.runsDir === undefined || !RUN_ID.test(source)) return undefined;
    try {
      const runDir = realpathSync(join(this.runsDir, source));
      const path = realpathSync(join(runDir, name));
      return path.startsWith(runDir + sep) && statSync(path).isFile() ? path : undefined;
    } catch {
      return undefined;
    }
  }
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

// Run records on disk: `<runsDir>/<id>/run.json`, what reports, the dashboard's run picker and `strata compare` read.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunRecord } from '@strata/shared';

/** Writes `record` to `<runsDir>/<id>/run.json` and returns the run folder. */
export function writeRunRecord(runsDir: string, record: RunRecord): string {
  const dir = join(runsDir, record.id);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'run.json'), `${JSON.stringify(record, null, 2)}\n`);
  return dir;
}

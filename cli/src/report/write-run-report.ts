// Writes a run's HTML report beside its run.json.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunRecord } from '@strata/shared';
import { renderRunReport } from './render-run-report.js';

/** Renders `record` (overlaying `compareWith`, if given) to `<runDir>/report.html` and returns that path. */
export function writeRunReport(runDir: string, record: RunRecord, compareWith?: readonly RunRecord[]): string {
  const path = join(runDir, 'report.html');
  writeFileSync(path, renderRunReport(record, { runDir, compareWith }));
  return path;
}

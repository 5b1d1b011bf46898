// `strata compare runs/a runs/b ...`: overlays runs in one HTML report (every metric against rounds and
// simulated time, bytes per tier) and prints time-to-accuracy: when each run first reached a target value of
// a metric (default: the worst of the runs' final values), in rounds, simulated time and cloud-link bytes.

import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { ConfigError, type RunRecord } from '@strata/shared';
import { formatBytes } from '../console/round-table.js';
import { renderRunReport } from '../report/index.js';
import { compareRuns, defaultTarget, type RunComparisonRow } from '@strata/simulator';

interface CompareFlags {
  metric: string;
  target?: number;
  out?: string;
}

export function register(program: Command): void {
  program
    .command('compare')
    .description('overlay runs in one report and print when each reached a target accuracy (time-to-accuracy)')
    .argument('<runs...>', 'run folders (or their run.json files)')
    .option('--metric <name>', 'metric for time-to-accuracy', 'recall@20')
    .option('--target <value>', 'target value (default: the worst final value among the runs)', Number.parseFloat)
    .option('--out <file>', 'where the comparison report goes (default: <first run>/compare.html)')
    .action((runs: string[], flags: CompareFlags) => {
      compareCommand(runs, flags);
    });
}

/** A run's record from its folder or its run.json. */
export function readRunRecord(path: string): { record: RunRecord; dir: string } {
  const file = existsSync(path) && statSync(path).isDirectory() ? join(path, 'run.json') : path;
  let record: RunRecord;
  try {
    record = JSON.parse(readFileSync(file, 'utf8')) as RunRecord;
  } catch (error) {
    throw new ConfigError(`cannot read run record ${file}: ${(error as Error).message}`);
  }
  if (record === null || typeof record !== 'object' || !Array.isArray(record.rounds)) {
    throw new ConfigError(`${file} is not a run record (no rounds)`);
  }
  return { record, dir: dirname(resolve(file)) };
}

function compareCommand(paths: string[], flags: CompareFlags): void {
  const out = (line: string): void => void process.stdout.write(`${line}\n`);
  const runs = paths.map(readRunRecord);
  const records = runs.map((r) => r.record);
  const target = flags.target ?? defaultTarget(records, flags.metric);
  if (target === undefined || Number.isNaN(target)) {
    throw new ConfigError(`no run has a final ${flags.metric}; pass --metric or --target`);
  }
  out(`time to ${flags.metric} ${target.toFixed(4)}:`);
  out(table(compareRuns(records, flags.metric, target)));
  const file = resolve(flags.out ?? join(runs[0].dir, 'compare.html'));
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, renderRunReport(records[0], { runDir: runs[0].dir, compareWith: records.slice(1) }));
  out(`report ${file}`);
}

function table(rows: readonly RunComparisonRow[]): string {
  const header = ['run', 'mode', 'rounds', 'final', 'sim time', 'cloud link', 'reached at', 'sim time', 'cloud link'];
  const lines = rows.map((row) => [
    row.id,
    row.mode,
    String(row.rounds),
    row.final === undefined ? '-' : row.final.toFixed(4),
    seconds(row.simSeconds),
    formatBytes(row.totalCloudLinkBytes),
    row.reached ? `round ${row.reached.round}` : 'never',
    seconds(row.reached?.simSeconds),
    row.reached ? formatBytes(row.reached.cloudLinkBytes) : '-',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  return [header, ...lines]
    .map((cells) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  '))
    .join('\n');
}

function seconds(value: number | undefined): string {
  return value === undefined ? '-' : `${value.toFixed(1)} s`;
}

// The per-round table the CLI prints as rounds complete, and the final comparison table.

import { bytesByPurpose, type RoundRecord } from '@strata/shared';

export function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value.toFixed(value >= 100 || unit === 0 ? 0 : 1)} ${units[unit]}`;
}

function formatMetric(value: number | undefined): string {
  return value === undefined || Number.isNaN(value) ? '-' : value.toFixed(4);
}

/**
 * Columns: the round, the loss, the given evaluation metrics, training's bytes per tier each way, evaluation's
 * bytes each way (both tiers), control messages, seconds.
 */
export class RoundTable {
  private readonly widths: number[];
  private readonly headers: string[];

  /** `privacy`: a column of ε spent so far (DP runs). */
  constructor(
    private readonly metricNames: readonly string[],
    private readonly privacy = false,
  ) {
    this.headers = [
      'round',
      'loss',
      ...metricNames,
      ...(privacy ? ['ε'] : []),
      'dev→edge ↑',
      'edge→dev ↓',
      'edge→cloud ↑',
      'cloud→edge ↓',
      'eval ↑',
      'eval ↓',
      'control',
      'sec',
    ];
    this.widths = this.headers.map((h) => Math.max(h.length, 9));
  }

  header(): string {
    const line = this.headers.map((h, i) => h.padStart(this.widths[i])).join('  ');
    return `${line}\n${'-'.repeat(line.length)}`;
  }

  row(record: RoundRecord): string {
    const b = record.bytes;
    const cells = [
      String(record.round),
      formatMetric(record.metrics.loss),
      ...this.metricNames.map((m) => formatMetric(record.metrics[m])),
      ...(this.privacy ? [typeof record.epsilon === 'number' ? record.epsilon.toFixed(3) : '-'] : []),
      formatBytes(b.deviceEdgeUp ?? 0),
      formatBytes(b.deviceEdgeDown ?? 0),
      formatBytes(b.edgeCloudUp ?? 0),
      formatBytes(b.edgeCloudDown ?? 0),
      b.evaluation === undefined ? '-' : formatBytes((b.evaluationDeviceEdgeUp ?? 0) + (b.evaluationEdgeCloudUp ?? 0)),
      b.evaluation === undefined ? '-' : formatBytes((b.evaluationDeviceEdgeDown ?? 0) + (b.evaluationEdgeCloudDown ?? 0)),
      formatBytes(b.control ?? 0),
      record.wallSeconds.toFixed(1),
    ];
    return cells.map((c, i) => c.padStart(this.widths[i])).join('  ');
  }
}

/** One line of a run's bytes: the total over every link, by purpose and by tier. */
export function bytesSummary(rounds: readonly RoundRecord[]): string {
  const sum = (key: string): number => rounds.reduce((total, r) => total + (r.bytes[key] ?? 0), 0);
  const purposes = rounds.map((r) => bytesByPurpose(r.bytes));
  const train = purposes.reduce((t, p) => t + p.train, 0);
  const evaluate = purposes.reduce((t, p) => t + p.evaluate, 0);
  const control = purposes.reduce((t, p) => t + p.control, 0);
  const deviceEdge = sum('deviceEdge') + sum('evaluationDeviceEdgeUp') + sum('evaluationDeviceEdgeDown');
  const edgeCloud = sum('edgeCloud') + sum('evaluationEdgeCloudUp') + sum('evaluationEdgeCloudDown');
  return (
    `bytes over all links ${formatBytes(train + evaluate + control)}: train ${formatBytes(train)} ` +
    `(device→edge ${formatBytes(sum('deviceEdgeUp'))}, edge→device ${formatBytes(sum('deviceEdgeDown'))}), ` +
    `evaluate ${formatBytes(evaluate)}, control ${formatBytes(control)}; device-edge ${formatBytes(deviceEdge)}, ` +
    `edge-cloud ${formatBytes(edgeCloud)}`
  );
}

/** A table of named results (rows) by metric (columns). */
export function comparisonTable(results: Record<string, Record<string, number>>, metricNames: readonly string[]): string {
  const names = Object.keys(results);
  const first = Math.max(...names.map((n) => n.length), 6);
  const lines = [['', ...metricNames].map((h, i) => (i === 0 ? h.padEnd(first) : h.padStart(10))).join('  ')];
  for (const name of names) {
    lines.push([name.padEnd(first), ...metricNames.map((m) => formatMetric(results[name][m]).padStart(10))].join('  '));
  }
  return lines.join('\n');
}

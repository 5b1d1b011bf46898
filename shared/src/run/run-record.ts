// The run record every training or simulation run writes to runs/<id>/run.json, so runs can be compared,
// plotted and checked by scripts. Metric names are lower-case and stable: recall@K, ndcg@K, hit@K, mrr@K,
// auc, psnr, ssim, loss.

export type RunMode = 'embedded' | 'distributed' | 'simulated' | 'centralized';

export interface RoundRecord {
  round: number;
  wallSeconds: number;
  simSeconds?: number;
  bytes: { deviceEdge: number; edgeCloud: number; [direction: string]: number };
  metrics: Record<string, number>;
  [extra: string]: unknown;
}

export interface RunRecord {
  id: string;
  task: string;
  mode: RunMode;
  startedAt: string;
  config: Record<string, unknown>;
  environment: Record<string, unknown>;
  rounds: RoundRecord[];
  final: { metrics: Record<string, number>; wallSeconds: number; [extra: string]: unknown };
  /** Files beside run.json (images, ...) that reports show, by path relative to the run folder. */
  artifacts?: { path: string; caption: string; kind: 'image' | 'data' }[];
  /** Named comparison results (e.g. centralized baseline, popularity). */
  baselines?: Record<string, Record<string, number>>;
}

/** A sortable, unique run id: `<utc time>-<label>`. */
export function newRunId(label: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\..+$/, '').replace('T', '-');
  const suffix = Math.floor(Math.random() * 0xffff)
    .toString(16)
    .padStart(4, '0');
  return `${stamp}-${label.replace(/[^a-z0-9]+/gi, '-')}-${suffix}`;
}

// What the daemons export, read from their real metric registries (the classes each daemon serves /metrics
// from), and the check that a PromQL expression (a Grafana panel, a recording or alert rule) only selects
// series that exist, with labels they carry: raw metrics, recording-rule outputs, or Prometheus's own `up`.

import { CoordinatorMetrics } from '@strata/coordinator';
import { EdgeMetrics } from '@strata/edge-node';
import { DeviceMetrics } from '@strata/device-client';
import type { Registry } from 'prom-client';
import { parsePromQl, type VectorSelector } from './deploy-promql.js';

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary';

export interface MetricFamily {
  readonly name: string;
  readonly type: MetricType;
  /** The metric's own labels and the registry's default labels (tier, region). */
  readonly labels: Set<string>;
  /** The `tier` values of the daemons that export it. */
  readonly tiers: Set<string>;
}

/** One series name as Prometheus stores it (`x_bucket`, `x_sum`, ...), with the labels it carries. */
export interface ExportedSeries {
  readonly family: MetricFamily;
  readonly labels: ReadonlySet<string>;
}

/** Series Prometheus adds for every target itself. */
const TARGET_SERIES = new Set([
  'up',
  'scrape_duration_seconds',
  'scrape_samples_scraped',
  'scrape_samples_post_metric_relabeling',
  'scrape_series_added',
]);

export class MetricCatalog {
  private readonly series = new Map<string, ExportedSeries>();

  constructor(readonly families: ReadonlyMap<string, MetricFamily>) {
    for (const family of families.values()) {
      const { name, labels } = family;
      const withLabel = (label: string): Set<string> => new Set([...labels, label]);
      const names: [string, ReadonlySet<string>][] =
        family.type === 'histogram'
          ? [
              [`${name}_bucket`, withLabel('le')],
              [`${name}_sum`, labels],
              [`${name}_count`, labels],
            ]
          : family.type === 'summary'
            ? [
                [name, withLabel('quantile')],
                [`${name}_sum`, labels],
                [`${name}_count`, labels],
              ]
            : [[name, labels]];
      for (const [seriesName, seriesLabels] of names) this.series.set(seriesName, { family, labels: seriesLabels });
    }
  }

  /** The metrics of the coordinator, edge and device daemons, as their registries define them. */
  static async fromDaemons(): Promise<MetricCatalog> {
    const registries = [
      new CoordinatorMetrics().registry,
      new EdgeMetrics({ region: 'r' }).registry,
      new DeviceMetrics({ region: 'r' }).registry,
    ];
    const families = new Map<string, MetricFamily>();
    for (const registry of registries) {
      const { defaultLabels, tier } = await defaultLabelsOf(registry);
      for (const metric of registry.getMetricsAsArray()) {
        const own = 'labelNames' in metric && Array.isArray(metric.labelNames) ? (metric.labelNames as string[]) : [];
        const family = families.get(metric.name) ?? {
          name: metric.name,
          type: String(metric.type) as MetricType,
          labels: new Set<string>(),
          tiers: new Set<string>(),
        };
        for (const label of [...own, ...defaultLabels]) family.labels.add(label);
        family.tiers.add(tier);
        families.set(metric.name, family);
      }
    }
    return new MetricCatalog(families);
  }

  get(seriesName: string): ExportedSeries | undefined {
    return this.series.get(seriesName);
  }

  /** Why `seriesName` is not a series, when a family explains it (a histogram queried without its suffix). */
  hint(seriesName: string): string {
    const family = this.families.get(seriesName);
    if (family?.type === 'histogram') return ` (${seriesName} is a histogram: query ${seriesName}_bucket, _sum or _count)`;
    const base = seriesName.replace(/_(bucket|sum|count)$/, '');
    const other = this.families.get(base);
    if (other && base !== seriesName) return ` (${base} is a ${other.type}, which has no ${seriesName.slice(base.length)} series)`;
    return '';
  }
}

/** The labels every sample of the registry carries (its default labels), and its `tier`. */
async function defaultLabelsOf(registry: Registry): Promise<{ defaultLabels: string[]; tier: string }> {
  const text = await registry.metrics();
  let common: Set<string> | undefined;
  let tier = '';
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const labels = [...line.matchAll(/([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"/g)];
    const names = new Set(labels.map((m) => m[1]));
    common = common ? new Set([...common].filter((n) => names.has(n))) : names;
    tier = labels.find((m) => m[1] === 'tier')?.[2] ?? tier;
  }
  if (!tier) throw new Error('a daemon registry exports no `tier` label');
  return { defaultLabels: [...(common ?? [])], tier };
}

export interface RecordingRule {
  readonly record: string;
  readonly expr: string;
  /** The labels its result keeps (its `by` labels less `le`, and its static labels); undefined: not known. */
  readonly labels: ReadonlySet<string> | undefined;
  /** The tiers of the series it is computed from. */
  readonly tiers: ReadonlySet<string>;
  /** The raw metric families it reads, through other rules too. */
  readonly families: ReadonlySet<string>;
}

export interface QueryContext {
  readonly catalog: MetricCatalog;
  readonly rules: ReadonlyMap<string, RecordingRule>;
  /** Labels Prometheus attaches to every scraped series (job, instance, and relabelled ones). */
  readonly targetLabels: ReadonlySet<string>;
  /** Scrape job name → the tier of the daemons it scrapes. */
  readonly jobs: ReadonlyMap<string, string>;
}

/** Builds the recording rules in order (a rule may use the ones before it), checking each one's expression. */
export function recordingRules(
  rules: readonly { record: string; expr: string; labels?: Record<string, string> }[],
  context: Omit<QueryContext, 'rules'>,
): { rules: Map<string, RecordingRule>; problems: string[] } {
  const defined = new Map<string, RecordingRule>();
  const problems: string[] = [];
  for (const rule of rules) {
    const where = `recording rule ${rule.record}`;
    if (!/^[A-Za-z_][A-Za-z0-9_]*(:[A-Za-z0-9_]+)+$/.test(rule.record))
      problems.push(`${where}: a recorded name is level:metric:operation, with colons`);
    if (defined.has(rule.record)) problems.push(`${where}: recorded twice`);
    problems.push(...checkExpression(rule.expr, where, { ...context, rules: defined }));
    const query = safeParse(rule.expr);
    const tiers = new Set<string>();
    const families = new Set<string>();
    for (const selector of query?.selectors ?? []) {
      const source = selector.metric === undefined ? undefined : defined.get(selector.metric);
      const series = selector.metric === undefined ? undefined : context.catalog.get(selector.metric);
      for (const tier of source?.tiers ?? series?.family.tiers ?? []) tiers.add(tier);
      for (const family of source?.families ?? (series ? [series.family.name] : [])) families.add(family);
    }
    const by = query?.byLabels.filter((label) => label !== 'le') ?? [];
    const labels = by.length > 0 ? new Set([...by, ...Object.keys(rule.labels ?? {})]) : undefined;
    defined.set(rule.record, { record: rule.record, expr: rule.expr, labels, tiers, families });
  }
  return { rules: defined, problems };
}

function safeParse(expr: string): ReturnType<typeof parsePromQl> | undefined {
  try {
    return parsePromQl(expr);
  } catch {
    return undefined;
  }
}

/** Problems with `expr`, each naming `where`: syntax, unknown series, labels a series does not carry. */
export function checkExpression(expr: string, where: string, context: QueryContext): string[] {
  let query: ReturnType<typeof parsePromQl>;
  try {
    query = parsePromQl(expr);
  } catch (error) {
    return [`${where}: ${(error as Error).message}`];
  }
  const problems: string[] = [];
  const available = new Set<string>();
  if (query.selectors.length === 0) problems.push(`${where}: ${JSON.stringify(expr)} selects no series`);
  for (const selector of query.selectors) {
    const labels = selectorLabels(selector, where, context, problems);
    for (const label of labels ?? []) available.add(label);
  }
  for (const label of query.groupingLabels) {
    if (label !== 'le' && !available.has(label)) problems.push(`${where}: groups by ${label}, which none of its series carries`);
  }
  return problems;
}

/** The labels the selected series carry (after adding the selector's problems), undefined if unknown. */
function selectorLabels(
  selector: VectorSelector,
  where: string,
  context: QueryContext,
  problems: string[],
): ReadonlySet<string> | undefined {
  const { metric, matchers } = selector;
  if (metric === undefined) {
    problems.push(`${where}: a selector without a metric name cannot be checked`);
    return undefined;
  }
  const rule = context.rules.get(metric);
  const series = context.catalog.get(metric);
  let labels: ReadonlySet<string> | undefined;
  let tiers: ReadonlySet<string> | undefined;
  if (rule) {
    labels = rule.labels;
    tiers = rule.tiers;
  } else if (series) {
    labels = new Set([...series.labels, ...context.targetLabels]);
    tiers = series.family.tiers;
  } else if (TARGET_SERIES.has(metric)) {
    labels = context.targetLabels;
  } else {
    problems.push(`${where}: no daemon exports ${metric} and no recording rule records it${context.catalog.hint(metric)}`);
    return undefined;
  }
  for (const { label, op, value } of matchers) {
    if (labels && !labels.has(label)) {
      problems.push(`${where}: ${metric} has no label ${label} (it has ${[...labels].sort().join(', ') || 'none'})`);
    } else if (label === 'tier' && op === '=' && tiers && !tiers.has(value)) {
      problems.push(`${where}: ${metric} is not exported with tier="${value}" (only ${[...tiers].join(', ')})`);
    } else if (label === 'job' && op === '=') {
      const tier = context.jobs.get(value);
      if (tier === undefined) problems.push(`${where}: no scrape job is named ${value} (jobs: ${[...context.jobs.keys()].join(', ')})`);
      else if (tiers && !tiers.has(tier)) problems.push(`${where}: job ${value} scrapes ${tier} daemons, which do not export ${metric}`);
    }
  }
  return labels;
}

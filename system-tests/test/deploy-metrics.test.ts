// Acceptance: every metric the Grafana dashboard, the recording rules and the alerts of deploy/ query is one a
// Strata daemon exports (read from the daemons' own registries), with the labels the queries select on, and
// the Grafana provisioning ties the dashboard to the provisioned Prometheus datasource.

import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parsePromQl, grafanaVariables } from './deploy-promql.js';
import { MetricCatalog, checkExpression, recordingRules, type QueryContext, type RecordingRule } from './deploy-metric-check.js';
import {
  DEPLOY_DIR,
  checkCompose,
  checkComposePrometheus,
  checkDockerfile,
  checkKubernetes,
  checkKubernetesPrometheus,
  list,
  readYaml,
  record,
  text,
  type Doc,
} from './deploy-files.js';

interface Query {
  readonly expr: string;
  readonly where: string;
}

let catalog: MetricCatalog;
let context: QueryContext;
let ruleFiles: string[];
let ruleProblems: string[];

before(async () => {
  catalog = await MetricCatalog.fromDaemons();
  const { image } = checkDockerfile();
  const compose = checkComposePrometheus(checkCompose(readYaml(join(DEPLOY_DIR, 'compose.yaml')), image));
  const kubernetes = checkKubernetesPrometheus(checkKubernetes(image));
  const jobs = new Map([...compose.jobs, ...kubernetes.jobs]);
  const targetLabels = new Set([...compose.targetLabels, ...kubernetes.targetLabels]);
  ruleFiles = [...new Set([...compose.ruleFiles, ...kubernetes.ruleFiles])].sort();
  const recording = ruleFiles.flatMap((file) => rulesOf(file).filter((r) => r.record !== undefined)) as { record: string; expr: string }[];
  const built = recordingRules(recording, { catalog, targetLabels, jobs });
  ruleProblems = built.problems;
  context = { catalog, rules: built.rules, targetLabels, jobs };
});

function rulesOf(file: string): {
  record?: string;
  alert?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}[] {
  const groups = list(readYaml(file).groups).map(record);
  assert.ok(groups.length > 0, `${file} has rule groups`);
  return groups
    .flatMap((group) => list(group.rules).map(record))
    .map((rule) => ({
      record: text(rule.record),
      alert: text(rule.alert),
      expr: text(rule.expr) ?? '',
      for: text(rule.for),
      labels: record(rule.labels) as Record<string, string>,
      annotations: record(rule.annotations) as Record<string, string>,
    }));
}

const dashboardsDir = join(DEPLOY_DIR, 'grafana', 'dashboards');

function dashboards(): { file: string; dashboard: Doc }[] {
  return readdirSync(dashboardsDir)
    .filter((f) => f.endsWith('.json'))
    .map((file) => ({ file, dashboard: JSON.parse(readFileSync(join(dashboardsDir, file), 'utf8')) as Doc }));
}

function panelsOf(dashboard: Doc): Doc[] {
  return list(dashboard.panels)
    .map(record)
    .flatMap((panel) => [panel, ...list(panel.panels).map(record)]);
}

/** The PromQL a dashboard runs: panel targets, and template variables' label_values() as a selector on the label. */
function dashboardQueries(file: string, dashboard: Doc): Query[] {
  const queries: Query[] = [];
  for (const panel of panelsOf(dashboard)) {
    for (const target of list(panel.targets).map(record)) {
      queries.push({ expr: text(target.expr) ?? '', where: `${file} panel "${text(panel.title)}" target ${text(target.refId)}` });
    }
  }
  for (const variable of list(record(dashboard.templating).list).map(record)) {
    const query = text(variable.query) ?? text(record(variable.query).query) ?? '';
    const labelValues = /^label_values\(\s*(.+?)\s*,\s*([A-Za-z_][A-Za-z0-9_]*)\s*\)$/.exec(query);
    if (labelValues) queries.push({ expr: `${labelValues[1]}{${labelValues[2]}!=""}`, where: `${file} variable $${text(variable.name)}` });
    else if (variable.type === 'query') queries.push({ expr: query, where: `${file} variable $${text(variable.name)}` });
  }
  return queries;
}

test('the PromQL reader finds metric names, label matchers and grouping labels, and refuses bad syntax', () => {
  const query = parsePromQl(
    'histogram_quantile(0.95, sum by (le, tier) (rate(strata_round_duration_seconds_bucket{tier="coordinator", job=~"strata-.*"}[$__rate_interval])))',
  );
  assert.deepEqual(query.selectors, [
    {
      metric: 'strata_round_duration_seconds_bucket',
      matchers: [
        { label: 'tier', op: '=', value: 'coordinator' },
        { label: 'job', op: '=~', value: 'strata-.*' },
      ],
    },
  ]);
  assert.deepEqual(query.groupingLabels, ['le', 'tier']);
  assert.deepEqual(query.functions, ['histogram_quantile', 'sum', 'rate']);
  const joined = parsePromQl(
    'sum(tier:strata_updates_rejected:rate5m) by (tier) / on(tier) group_left tier:x:y offset 5m > bool 0 and absent(up{job="a"} == 1)',
  );
  assert.deepEqual(
    joined.selectors.map((s) => s.metric),
    ['tier:strata_updates_rejected:rate5m', 'tier:x:y', 'up'],
  );
  assert.deepEqual(joined.groupingLabels, ['tier', 'tier']);
  assert.deepEqual(parsePromQl('{__name__="strata_round", tier="coordinator"}').selectors, [
    { metric: 'strata_round', matchers: [{ label: 'tier', op: '=', value: 'coordinator' }] },
  ]);
  assert.deepEqual(
    parsePromQl('max_over_time(strata_round[1h:5m]) * 60').selectors.map((s) => s.metric),
    ['strata_round'],
  );
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a Grafana variable in its ${name:format} form, not a template
  assert.deepEqual(grafanaVariables('x{region=~"$region", a="${b:regex}"}[$__rate_interval]'), ['region', 'b']);
  assert.throws(() => parsePromQl('sum(rate(strata_round[5m])'), /unclosed \(/);
  assert.throws(() => parsePromQl('rat(strata_rounds_completed_total[5m])'), /unknown function rat\(\)/);
  assert.throws(() => parsePromQl('strata_round{tier coordinator}'), /label matchers/);
  assert.throws(() => parsePromQl('strata_round{tier="coordinator"'), /unclosed \{|label matchers/);
});

test('the catalog holds what the daemons export: histogram series with their suffixes, labels, tiers', () => {
  const bucket = catalog.get('strata_round_duration_seconds_bucket');
  assert.ok(bucket?.labels.has('le') && bucket.family.tiers.has('coordinator'));
  assert.equal(catalog.get('strata_round_duration_seconds'), undefined, 'a histogram has no series of its bare name');
  assert.equal(catalog.get('strata_updates_rejected_total_count'), undefined, 'a counter has no _count series');
  assert.deepEqual([...catalog.get('strata_bytes_sent_total')!.family.tiers].sort(), ['coordinator', 'device', 'edge']);
  assert.ok(catalog.get('strata_edge_connected_devices')?.labels.has('region'));
  assert.ok(catalog.get('strata_eval_metric')?.labels.has('name'));
  assert.ok(catalog.get('strata_process_cpu_seconds_total'), 'default process metrics carry the strata_ prefix');
});

test('the check refuses a metric no daemon exports, a bare histogram, a missing label, a tier or job that does not export it', () => {
  const problems = (expr: string): string => checkExpression(expr, 'q', context).join('\n');
  assert.equal(problems('sum by (tier) (rate(strata_updates_rejected_total{reason="shape"}[5m]))'), '');
  assert.match(problems('rate(strata_rounds_complete_total[5m])'), /no daemon exports strata_rounds_complete_total/);
  assert.match(problems('rate(strata_round_duration_seconds[5m])'), /is a histogram: query strata_round_duration_seconds_bucket/);
  assert.match(problems('rate(strata_updates_rejected_total_count[5m])'), /is a counter, which has no _count series/);
  assert.match(problems('strata_updates_rejected_total{reasn="shape"}'), /has no label reasn/);
  assert.match(problems('sum by (outcome) (strata_updates_rejected_total)'), /groups by outcome, which none of its series carries/);
  assert.match(problems('strata_rounds_completed_total{tier="edge"}'), /not exported with tier="edge"/);
  assert.match(problems('strata_rounds_completed_total{job="strata-edge"}'), /job strata-edge scrapes edge daemons, which do not export/);
  assert.match(problems('up{job="strata-edges"}'), /no scrape job is named strata-edges/);
  assert.match(problems('tier:strata_rounds_completed:rate5m{region="eu-west"}'), /has no label region/);
  assert.match(problems('tier:strata_rounds_completed:rate5m{tier="device"}'), /not exported with tier="device"/);
});

test('every metric the Grafana dashboard, the recording rules and the alerts query is exported by some daemon', () => {
  assert.ok(ruleFiles.length >= 2, `rule files: ${ruleFiles.join(', ')}`);
  const problems = [...ruleProblems];
  const queries: Query[] = [];
  for (const file of ruleFiles) {
    for (const rule of rulesOf(file)) {
      if (rule.alert === undefined) continue;
      const where = `alert ${rule.alert}`;
      queries.push({ expr: rule.expr, where });
      if (!rule.labels?.severity || !rule.annotations?.summary) problems.push(`${where}: needs labels.severity and annotations.summary`);
    }
  }
  const all = dashboards();
  assert.ok(all.length > 0, 'deploy/grafana/dashboards holds a dashboard');
  for (const { file, dashboard } of all) {
    const declared = new Set(list(record(dashboard.templating).list).map((v) => text(record(v).name)));
    for (const query of dashboardQueries(file, dashboard)) {
      queries.push(query);
      for (const variable of grafanaVariables(query.expr))
        if (!declared.has(variable)) problems.push(`${query.where}: uses $${variable}, which the dashboard does not declare`);
    }
  }
  for (const { expr, where } of queries) problems.push(...checkExpression(expr, where, context));
  assert.deepEqual(problems, []);
  assert.ok(queries.length >= 30, `${queries.length} queries checked`);
});

test("the Grafana dashboard tells the built-in dashboard's story: rounds, duration, version, evaluation, updates, bytes, devices", () => {
  const { dashboard } = dashboards().find((d) => d.file === 'strata-overview.json')!;
  const families = new Set<string>();
  const rules: ReadonlyMap<string, RecordingRule> = context.rules;
  for (const { expr } of dashboardQueries('strata-overview.json', dashboard)) {
    for (const { metric } of parsePromQl(expr).selectors) {
      if (metric === undefined) continue;
      for (const family of rules.get(metric)?.families ?? [catalog.get(metric)?.family.name ?? metric]) families.add(family);
    }
  }
  for (const story of [
    'strata_round',
    'strata_rounds_completed_total',
    'strata_round_duration_seconds',
    'strata_model_version',
    'strata_eval_metric',
    'strata_updates_accepted_total',
    'strata_updates_rejected_total',
    'strata_bytes_sent_total',
    'strata_bytes_received_total',
    'strata_edge_connected_devices',
  ]) {
    assert.ok(families.has(story), `the dashboard shows ${story}`);
  }
  const rejected = panelsOf(dashboard).find((p) => /rejected by reason/i.test(text(p.title) ?? ''));
  assert.match(text(record(list(rejected?.targets)[0]).legendFormat) ?? '', /\{\{reason\}\}/, 'rejections are shown by reason');
});

test('Grafana provisioning: a datasource with a fixed uid that every panel uses, a provider for the dashboards folder, stable uids', () => {
  const datasources = list(readYaml(join(DEPLOY_DIR, 'grafana', 'provisioning', 'datasources', 'strata.yaml')).datasources).map(record);
  assert.equal(datasources.length, 1);
  const [datasource] = datasources;
  assert.equal(datasource.type, 'prometheus');
  assert.equal(datasource.uid, 'strata-prometheus');
  const compose = readYaml(join(DEPLOY_DIR, 'compose.yaml'));
  const services = record(compose.services);
  const url = new URL(text(datasource.url) ?? '');
  assert.ok(
    text(record(services[url.hostname]).image)?.startsWith('prom/prometheus:'),
    `the datasource's ${url.host} is the compose Prometheus`,
  );
  assert.equal(url.port, '9090');

  const [provider] = list(readYaml(join(DEPLOY_DIR, 'grafana', 'provisioning', 'dashboards', 'strata.yaml')).providers).map(record);
  const grafana = record(services.grafana);
  const mounts = list(grafana.volumes).map(String);
  assert.ok(
    mounts.includes(`./grafana/dashboards:${text(record(provider.options).path)}:ro`),
    'Grafana mounts the dashboards where the provider reads them',
  );
  assert.ok(
    mounts.some((m) => m.startsWith('./grafana/provisioning:/etc/grafana/provisioning')),
    'Grafana mounts the provisioning folder',
  );

  const uids = new Set<string>();
  for (const { file, dashboard } of dashboards()) {
    assert.match(text(dashboard.uid) ?? '', /^[a-z0-9-]{1,40}$/, `${file} has a stable uid`);
    assert.equal(dashboard.id ?? null, null, `${file} leaves the id to Grafana`);
    uids.add(text(dashboard.uid)!);
    for (const panel of panelsOf(dashboard)) {
      if (panel.type === 'row') continue;
      for (const source of [panel.datasource, ...list(panel.targets).map((t) => record(t).datasource)]) {
        assert.equal(record(source).uid, datasource.uid, `${file} panel "${text(panel.title)}" uses the provisioned datasource`);
      }
    }
    for (const variable of list(record(dashboard.templating).list).map(record)) {
      if (variable.type === 'query')
        assert.equal(record(variable.datasource).uid, datasource.uid, `${file} variable ${text(variable.name)}`);
    }
  }
  assert.ok(uids.has('strata-overview'));
});

// The deployment files of deploy/, read and checked the way the tools that consume them would use them:
// the Dockerfile's image, the compose file's services, the Kubernetes manifests, the systemd units, and the
// Prometheus and Grafana configuration that scrape and show them. Every check returns problems (strings that
// name the file and the offending value) rather than throwing, so a test can show them all at once.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { ConfigError } from '@strata/shared';
import { findRepoRoot } from '@strata/tasks';
import { listensBeyondLoopback, resolveDaemon, type DaemonStart, type Endpoint, type ResolvedDaemon } from './deploy-daemon-check.js';

export const REPO_ROOT = findRepoRoot();
export const DEPLOY_DIR = join(REPO_ROOT, 'deploy');

/** The image deploy/Dockerfile builds, and the public images the deployment files may use (pinned). */
export const STRATA_IMAGE = 'strata';
export const PUBLIC_IMAGES: Readonly<Record<string, string>> = {
  redis: 'Redis for queues, blobs and coordinator state',
  'prom/prometheus': 'Prometheus',
  'grafana/grafana': 'Grafana',
};

export type Doc = Record<string, unknown>;

export function record(value: unknown): Doc {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Doc) : {};
}

export function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

export function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : undefined;
}

/** Every YAML document of a file (merge keys on, as compose reads them); a syntax error throws, naming the file. */
export function readYamlDocuments(path: string): unknown[] {
  const documents = parseAllDocuments(readFileSync(path, 'utf8'), { merge: true });
  const all = Array.isArray(documents) ? documents : [documents];
  return all.map((document) => {
    if (document.errors.length > 0) throw new ConfigError(`${path}: ${document.errors[0].message}`);
    return document.toJS() as unknown;
  });
}

export function readYaml(path: string): Doc {
  const [first] = readYamlDocuments(path);
  return record(first);
}

/** `image` is the Strata image (any tag) or a pinned public image. */
export function checkImage(where: string, image: string | undefined): string[] {
  if (image === undefined) return [`${where}: no image`];
  const at = image.lastIndexOf(':');
  const [name, tag] = at > image.lastIndexOf('/') ? [image.slice(0, at), image.slice(at + 1)] : [image, ''];
  if (name === STRATA_IMAGE) return tag ? [] : [`${where}: ${image} needs a tag`];
  if (!(name in PUBLIC_IMAGES))
    return [`${where}: image ${image} is neither ${STRATA_IMAGE} (deploy/Dockerfile) nor one of ${Object.keys(PUBLIC_IMAGES).join(', ')}`];
  if (tag === '' || tag === 'latest') return [`${where}: pin ${name} to a version, not ${tag || 'no tag'}`];
  return [];
}

// ---------------------------------------------------------------------------------------------- Dockerfile

export interface DockerImage {
  /** ENV of the runtime stage. */
  readonly env: Readonly<Record<string, string>>;
  readonly exposed: ReadonlySet<number>;
}

export function checkDockerfile(): { image: DockerImage; problems: string[] } {
  const path = join(DEPLOY_DIR, 'Dockerfile');
  const where = 'deploy/Dockerfile';
  const content = readFileSync(path, 'utf8').replace(/\\\n/g, ' ');
  const lines = content
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const problems: string[] = [];
  const args = new Map<string, string>();
  const stages: { from: string; lines: string[] }[] = [];
  for (const line of lines) {
    const [instruction, ...rest] = line.split(/\s+/);
    const body = rest.join(' ');
    if (instruction === 'ARG' && stages.length === 0) {
      const [name, value] = body.split('=');
      args.set(name, value ?? '');
    } else if (instruction === 'FROM') {
      stages.push({ from: rest[0].replace(/\$\{(\w+)\}/g, (_, name: string) => args.get(name) ?? ''), lines: [] });
    } else if (stages.length > 0) {
      stages.at(-1)!.lines.push(line);
    }
  }
  const stageNames = new Set(lines.flatMap((l) => /^FROM\s+\S+\s+AS\s+(\S+)$/i.exec(l)?.[1] ?? []));
  const bases = stages.map((s) => s.from).filter((from) => !stageNames.has(from));
  for (const base of bases) if (!/^node:20[\w.-]*-slim$/.test(base)) problems.push(`${where}: base image ${base} is not node:20 slim`);
  const all = lines.join('\n');
  for (const step of ['npm ci', 'npm run build', 'npm prune --omit=dev'])
    if (!all.includes(step)) problems.push(`${where}: no \`${step}\``);
  const runtime = stages.at(-1)?.lines ?? [];
  const env: Record<string, string> = {};
  const exposed = new Set<number>();
  let entrypoint: string[] = [];
  for (const line of runtime) {
    const [instruction, ...rest] = line.split(/\s+/);
    if (instruction === 'ENV') for (const [, name, value] of rest.join(' ').matchAll(/(\w+)=(\S+)/g)) env[name] = value;
    if (instruction === 'EXPOSE') for (const port of rest) exposed.add(Number(port));
    if (instruction === 'ENTRYPOINT') entrypoint = JSON.parse(rest.join(' ')) as string[];
  }
  const cli = entrypoint[1]?.replace(/^\/app\//, '');
  if (entrypoint[0] !== 'node' || cli === undefined || !existsSync(join(REPO_ROOT, cli))) {
    problems.push(`${where}: ENTRYPOINT ${JSON.stringify(entrypoint)} is not node running the built strata CLI under /app`);
  }
  const ignore = readFileSync(join(DEPLOY_DIR, 'Dockerfile.dockerignore'), 'utf8');
  if (!/^\*\*\/node_modules$/m.test(ignore))
    problems.push('deploy/Dockerfile.dockerignore: does not leave node_modules out of the context');
  return { image: { env, exposed }, problems };
}

// ------------------------------------------------------------------------------------------ common checks

/** What a deployment runs, in any of its forms: its daemons and where each can be reached from the others. */
export interface DeploymentView {
  readonly daemons: readonly ResolvedDaemon[];
  /** The daemon (and its port) that `host:port` reaches, or why none does. */
  reach(host: string, port: number): { daemon: ResolvedDaemon } | { problem: string };
  /** Whether `host:port` reaches a Redis. */
  reachesRedis(host: string, port: number): boolean;
}

/** Regions, edges, devices, Redis and the task agree across the daemons of one deployment. */
export function checkTopology(where: string, view: DeploymentView): string[] {
  const problems: string[] = [];
  const coordinators = view.daemons.filter((d) => d.kind === 'coordinator');
  const edges = view.daemons.filter((d) => d.kind === 'edge');
  const devices = view.daemons.filter((d) => d.kind === 'device');
  if (coordinators.length !== 1) problems.push(`${where}: ${coordinators.length} coordinators, expected one`);
  const edgeRegions = new Set(edges.map((e) => e.config.region));
  for (const coordinator of coordinators) {
    const regions = new Set(coordinator.config.regions);
    for (const region of regions) if (!edgeRegions.has(region)) problems.push(`${coordinator.where}: region ${region} has no edge`);
    for (const region of edgeRegions)
      if (!regions.has(region)) problems.push(`${where}: edges serve ${region}, which the coordinator does not schedule`);
    for (const device of devices) {
      if (JSON.stringify(device.task) !== JSON.stringify(coordinator.task)) {
        problems.push(`${device.where}: builds task ${JSON.stringify(device.task)}, the coordinator ${JSON.stringify(coordinator.task)}`);
      }
    }
  }
  for (const daemon of [...coordinators, ...edges]) {
    const url = new URL(daemon.config.redis.url);
    if (!view.reachesRedis(url.hostname, Number(url.port || 6379)))
      problems.push(`${daemon.where}: no Redis at ${daemon.config.redis.url}`);
  }
  const prefixes = new Set([...coordinators, ...edges].map((d) => d.config.redis.prefix));
  if (prefixes.size > 1) problems.push(`${where}: daemons use different Redis prefixes ${[...prefixes].join(', ')}`);
  for (const device of devices) {
    for (const address of device.config.edges) {
      const url = new URL(address);
      const reached = view.reach(url.hostname, Number(url.port || 80));
      if ('problem' in reached) {
        problems.push(`${device.where}: edge ${address}: ${reached.problem}`);
        continue;
      }
      const edge = reached.daemon;
      if (edge.kind !== 'edge') problems.push(`${device.where}: ${address} is a ${edge.kind}, not an edge`);
      else if (edge.devices.port !== Number(url.port || 80))
        problems.push(`${device.where}: ${address}: that edge takes devices on port ${edge.devices.port}`);
      else if (!listensBeyondLoopback(edge.devices.host))
        problems.push(`${device.where}: ${address}: that edge listens on ${edge.devices.host} only`);
      else if (edge.config.region !== device.config.region)
        problems.push(`${device.where}: ${address} serves ${edge.config.region}, the devices are in ${device.config.region}`);
      else if (edge.config.token !== device.config.token) problems.push(`${device.where}: its token is not the token of ${address}`);
    }
  }
  return problems;
}

/** The ports a daemon listens on. */
export function daemonPorts(daemon: ResolvedDaemon): Endpoint[] {
  return daemon.kind === 'edge' ? [daemon.http, daemon.devices] : [daemon.http];
}

/** Container port `port` of `daemon` is served on an interface others can reach. */
export function checkServedPort(where: string, daemon: ResolvedDaemon, port: number): string[] {
  const endpoint = daemonPorts(daemon).find((e) => e.port === port);
  if (!endpoint)
    return [
      `${where}: port ${port} is not one strata ${daemon.kind} listens on (${daemonPorts(daemon)
        .map((e) => e.port)
        .join(', ')})`,
    ];
  return listensBeyondLoopback(endpoint.host)
    ? []
    : [`${where}: port ${port} is bound to ${endpoint.host}: nothing outside the container reaches it`];
}

/** The data folder of a daemon that builds a task is mounted. */
export function checkDataMounted(where: string, daemon: ResolvedDaemon, image: DockerImage, mounts: readonly string[]): string[] {
  if (daemon.kind === 'edge') return [];
  const dataDir = daemon.env.STRATA_DATA_DIR ?? image.env.STRATA_DATA_DIR;
  if (dataDir === undefined) return [`${where}: no STRATA_DATA_DIR: the default data folder is not in the image`];
  return mounts.includes(dataDir) ? [] : [`${where}: the data folder ${dataDir} is not mounted (mounts: ${mounts.join(', ') || 'none'})`];
}

/** Seconds of a compose/systemd duration such as 45s, 1m30s or 90. */
export function durationSeconds(value: string): number {
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value);
  let total = 0;
  for (const [, amount, unit] of value.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g))
    total += Number(amount) * { ms: 0.001, s: 1, m: 60, h: 3600 }[unit as 'ms' | 's' | 'm' | 'h'];
  return total;
}

function checkGrace(where: string, daemon: ResolvedDaemon, seconds: number, setting: string): string[] {
  if (daemon.kind !== 'edge' || seconds > daemon.config.shutdownGraceSeconds) return [];
  return [
    `${where}: ${setting} ${seconds} s does not leave the edge its shutdownGraceSeconds (${daemon.config.shutdownGraceSeconds} s) to finish a job`,
  ];
}

// -------------------------------------------------------------------------------------------------- compose

/** Compose's variable interpolation: ${NAME:-default} and ${NAME-default} take the default; bare ${NAME} is a problem. */
export function interpolate(value: unknown, where: string, problems: string[]): unknown {
  if (typeof value === 'string') {
    return value.replace(
      /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}/g,
      (match, name: string | undefined, fallback: string | undefined) => {
        if (match === '$$') return '$';
        if (fallback === undefined) problems.push(`${where}: \${${name}} has no default`);
        return fallback ?? '';
      },
    );
  }
  if (Array.isArray(value)) return value.map((v) => interpolate(v, where, problems));
  if (typeof value === 'object' && value !== null)
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolate(v, where, problems)]));
  return value;
}

function environmentOf(value: unknown): Record<string, string> {
  if (Array.isArray(value)) {
    return Object.fromEntries(
      value.map((entry) => String(entry)).map((entry) => [entry.split('=')[0], entry.slice(entry.indexOf('=') + 1)]),
    );
  }
  return Object.fromEntries(Object.entries(record(value)).map(([k, v]) => [k, text(v) ?? '']));
}

interface ComposeMount {
  readonly source: string;
  readonly target: string;
}

function composeMounts(service: Doc): ComposeMount[] {
  return list(service.volumes).map((volume) => {
    if (typeof volume === 'string') {
      const [source, target] = volume.split(':');
      return { source, target };
    }
    return { source: text(record(volume).source) ?? '', target: text(record(volume).target) ?? '' };
  });
}

function composePorts(service: Doc): number[] {
  return list(service.ports).map((port) => {
    if (typeof port === 'object' && port !== null) return Number(record(port).target);
    const parts = String(port).split('/')[0].split(':');
    return Number(parts.at(-1));
  });
}

export interface ComposeCheck {
  readonly services: ReadonlyMap<string, Doc>;
  readonly daemons: ReadonlyMap<string, ResolvedDaemon>;
  readonly problems: string[];
}

/** The compose file's services: images, daemon configurations, mounts, ports, health checks, topology. */
export function checkCompose(raw: Doc, image: DockerImage, composeDir = DEPLOY_DIR): ComposeCheck {
  const problems: string[] = [];
  const compose = record(interpolate(raw, 'compose.yaml', problems));
  const services = new Map(Object.entries(record(compose.services)).map(([name, value]) => [name, record(value)]));
  const volumes = new Set(Object.keys(record(compose.volumes)));
  const daemons = new Map<string, ResolvedDaemon>();
  const builds = [...services.values()].some((s) => Object.keys(record(s.build)).length > 0);
  for (const [name, service] of services) {
    const where = `compose.yaml service ${name}`;
    const imageName = text(service.image);
    problems.push(...checkImage(where, imageName));
    for (const dependency of Object.keys(
      Array.isArray(service.depends_on)
        ? Object.fromEntries(list(service.depends_on).map((d) => [String(d), 1]))
        : record(service.depends_on),
    )) {
      if (!services.has(dependency)) problems.push(`${where}: depends on ${dependency}, which is not a service`);
    }
    const mounts = composeMounts(service);
    for (const mount of mounts) {
      if (/^\.\.?\//.test(mount.source)) {
        const local = resolve(composeDir, mount.source);
        if (local.startsWith(DEPLOY_DIR) && !existsSync(local)) problems.push(`${where}: mounts ${mount.source}, which does not exist`);
      } else if (mount.source && !mount.source.startsWith('/') && !volumes.has(mount.source)) {
        problems.push(`${where}: mounts volume ${mount.source}, which the file does not declare`);
      }
    }
    if (!imageName?.startsWith(`${STRATA_IMAGE}:`)) continue;
    const build = record(service.build);
    if (Object.keys(build).length > 0) {
      const dockerfile = resolve(composeDir, text(build.context) ?? '.', text(build.dockerfile) ?? 'Dockerfile');
      if (dockerfile !== join(DEPLOY_DIR, 'Dockerfile')) problems.push(`${where}: builds ${dockerfile}, not deploy/Dockerfile`);
    } else if (!builds) {
      problems.push(`${where}: no service builds ${imageName}`);
    }
    if (service.entrypoint !== undefined) problems.push(`${where}: replaces the image's strata entrypoint`);
    const command = Array.isArray(service.command)
      ? service.command.map(String)
      : (text(service.command) ?? '').split(/\s+/).filter(Boolean);
    const resolved = resolveDaemon({ where, args: command, env: environmentOf(service.environment) });
    problems.push(...resolved.problems);
    const daemon = resolved.daemon;
    if (!daemon) continue;
    daemons.set(name, daemon);
    for (const port of composePorts(service)) problems.push(...checkServedPort(`${where} ports`, daemon, port));
    problems.push(
      ...checkDataMounted(
        where,
        daemon,
        image,
        mounts.map((m) => m.target),
      ),
    );
    const health = list(record(service.healthcheck).test).map(String).join(' ');
    const healthPort = /:(\d+)\/healthz/.exec(health)?.[1];
    if (Number(healthPort) !== daemon.http.port)
      problems.push(`${where}: the health check asks port ${healthPort ?? '(none)'}, /healthz is on ${daemon.http.port}`);
    problems.push(...checkGrace(where, daemon, durationSeconds(text(service.stop_grace_period) ?? '10s'), 'stop_grace_period'));
  }
  const view: DeploymentView = {
    daemons: [...daemons.values()],
    reach: (host, port) => {
      const daemon = daemons.get(host);
      if (!daemon) return { problem: services.has(host) ? `${host} runs no Strata daemon` : `no service is named ${host}` };
      return daemonPorts(daemon).some((e) => e.port === port) ? { daemon } : { problem: `${host} does not listen on ${port}` };
    },
    reachesRedis: (host, port) => port === 6379 && (text(services.get(host)?.image) ?? '').startsWith('redis:'),
  };
  problems.push(...checkTopology('compose.yaml', view));
  return { services, daemons, problems };
}

// ----------------------------------------------------------------------------------------------- Prometheus

export interface PrometheusCheck {
  /** Scrape job → the tier (daemon kind) of its targets. */
  readonly jobs: Map<string, string>;
  /** Labels every scraped series gets: job, instance, and what relabelling adds. */
  readonly targetLabels: Set<string>;
  readonly ruleFiles: string[];
  readonly problems: string[];
}

function relabelTargets(config: Doc): string[] {
  return list(config.scrape_configs).flatMap((job) =>
    list(record(job).relabel_configs)
      .map((r) => text(record(r).target_label))
      .filter((l): l is string => l !== undefined),
  );
}

/** Rule files a `rule_files` glob matches, read from the folder mounted at its directory. */
function ruleFilesFor(
  patterns: readonly string[],
  mountedAt: (dir: string) => string | undefined,
  where: string,
  problems: string[],
): string[] {
  const files: string[] = [];
  for (const pattern of patterns) {
    const local = mountedAt(dirname(pattern));
    const glob = new RegExp(
      `^${pattern
        .slice(dirname(pattern).length + 1)
        .replace(/\./g, '\\.')
        .replace(/\*/g, '.*')}$`,
    );
    const matched =
      local && existsSync(local)
        ? readdirSync(local)
            .filter((name) => glob.test(name))
            .map((name) => join(local, name))
        : [];
    if (matched.length === 0) problems.push(`${where}: rule_files ${pattern} matches no file of deploy/`);
    files.push(...matched);
  }
  return files;
}

/** deploy/prometheus/prometheus.yml against the compose file: each target is a daemon's /metrics, each daemon a target. */
export function checkComposePrometheus(compose: ComposeCheck): PrometheusCheck {
  const where = 'prometheus/prometheus.yml';
  const config = readYaml(join(DEPLOY_DIR, 'prometheus', 'prometheus.yml'));
  const problems: string[] = [];
  const jobs = new Map<string, string>();
  const scraped = new Set<string>();
  for (const job of list(config.scrape_configs).map(record)) {
    const name = text(job.job_name) ?? '';
    for (const target of list(record(list(job.static_configs)[0]).targets).map(String)) {
      const [host, port] = target.split(':');
      const daemon = compose.daemons.get(host);
      if (!daemon) {
        problems.push(`${where}: job ${name} scrapes ${target}, which is no Strata daemon of compose.yaml`);
        continue;
      }
      scraped.add(host);
      if (Number(port) !== daemon.http.port)
        problems.push(`${where}: job ${name} scrapes ${target}, ${host} serves /metrics on ${daemon.http.port}`);
      else problems.push(...checkServedPort(`${where}: ${target}`, daemon, daemon.http.port));
      if (name !== `strata-${daemon.kind}`)
        problems.push(`${where}: job ${name} scrapes ${host}, a ${daemon.kind}: name it strata-${daemon.kind}`);
      jobs.set(name, daemon.kind);
    }
  }
  for (const name of compose.daemons.keys()) if (!scraped.has(name)) problems.push(`${where}: ${name} is not scraped`);
  const prometheus = [...compose.services.values()].find((s) => (text(s.image) ?? '').startsWith('prom/prometheus:'));
  const mounts = prometheus ? composeMounts(prometheus) : [];
  if (!prometheus) problems.push('compose.yaml: no Prometheus service');
  const configFile =
    list(prometheus?.command)
      .map(String)
      .find((a) => a.startsWith('--config.file='))
      ?.split('=')[1] ?? '/etc/prometheus/prometheus.yml';
  if (!mounts.some((m) => m.target === configFile && resolve(DEPLOY_DIR, m.source) === join(DEPLOY_DIR, 'prometheus', 'prometheus.yml'))) {
    problems.push(`compose.yaml: Prometheus does not read ${where} at ${configFile}`);
  }
  const ruleFiles = ruleFilesFor(
    list(config.rule_files).map(String),
    (dir) => {
      const mount = mounts.find((m) => m.target === dir);
      return mount ? resolve(DEPLOY_DIR, mount.source) : undefined;
    },
    where,
    problems,
  );
  return { jobs, targetLabels: new Set(['job', 'instance', ...relabelTargets(config)]), ruleFiles, problems };
}

/** deploy/prometheus/prometheus-kubernetes.yml: the jobs its relabelling makes of the pods' component labels. */
export function checkKubernetesPrometheus(kubernetes: KubernetesCheck): PrometheusCheck {
  const where = 'prometheus/prometheus-kubernetes.yml';
  const config = readYaml(join(DEPLOY_DIR, 'prometheus', 'prometheus-kubernetes.yml'));
  const problems: string[] = [];
  const jobs = new Map<string, string>();
  const relabels = list(config.scrape_configs).flatMap((job) => list(record(job).relabel_configs).map(record));
  const keeps = relabels.filter((r) => r.action === 'keep');
  const toJob = relabels.find((r) => r.target_label === 'job');
  const componentLabel = '__meta_kubernetes_pod_label_app_kubernetes_io_component';
  if (!toJob || !list(toJob.source_labels).includes(componentLabel))
    problems.push(`${where}: the job label is not made from app.kubernetes.io/component`);
  const keepsPartOf = keeps.some(
    (r) => list(r.source_labels).includes('__meta_kubernetes_pod_label_app_kubernetes_io_part_of') && r.regex === 'strata',
  );
  const keepsMetricsPort = keeps.some(
    (r) => list(r.source_labels).includes('__meta_kubernetes_pod_container_port_name') && r.regex === 'metrics',
  );
  if (!keepsPartOf || !keepsMetricsPort) problems.push(`${where}: does not keep exactly the part-of=strata pods' ports named metrics`);
  for (const pod of kubernetes.pods) {
    if (!pod.daemon) continue;
    if (pod.labels['app.kubernetes.io/part-of'] !== 'strata')
      problems.push(`${pod.where}: not labelled app.kubernetes.io/part-of=strata: Prometheus skips it`);
    const component = pod.labels['app.kubernetes.io/component'];
    if (component !== pod.daemon.kind)
      problems.push(`${pod.where}: app.kubernetes.io/component is ${component}, the pod runs a ${pod.daemon.kind}`);
    const metricsPort = pod.ports.get('metrics');
    if (metricsPort !== pod.daemon.http.port)
      problems.push(`${pod.where}: its port named metrics is ${metricsPort}, /metrics is on ${pod.daemon.http.port}`);
    const job = (text(toJob?.replacement) ?? '$1').replace('$1', component ?? '');
    jobs.set(job, pod.daemon.kind);
  }
  const ruleFiles = ruleFilesFor(
    list(config.rule_files).map(String),
    (dir) => (dir === '/etc/prometheus/rules' ? join(DEPLOY_DIR, 'prometheus', 'rules') : undefined),
    where,
    problems,
  );
  return { jobs, targetLabels: new Set(['job', 'instance', ...relabelTargets(config)]), ruleFiles, problems };
}

// ----------------------------------------------------------------------------------------------- Kubernetes

export interface KubernetesPod {
  readonly where: string;
  readonly workload: Doc;
  readonly labels: Record<string, string>;
  /** Container port by name (and by its number as a string). */
  readonly ports: Map<string, number>;
  readonly image: string;
  readonly daemon?: ResolvedDaemon;
}

export interface KubernetesCheck {
  readonly objects: Doc[];
  readonly pods: KubernetesPod[];
  readonly problems: string[];
}

function podName(workload: Doc): string {
  const name = text(record(workload.metadata).name) ?? '';
  return workload.kind === 'StatefulSet' ? `${name}-0` : `${name}-pod`;
}

function selects(selector: Doc, labels: Record<string, string>): boolean {
  const wanted = Object.entries(selector);
  return wanted.length > 0 && wanted.every(([key, value]) => labels[key] === value);
}

/** deploy/kubernetes: every resource of the kustomization, the daemons its pods run, and what refers to what. */
export function checkKubernetes(image: DockerImage, objects: Doc[] = loadKubernetes()): KubernetesCheck {
  const problems: string[] = [];
  const named = (kind: string, name: string | undefined): Doc | undefined =>
    objects.find((o) => o.kind === kind && record(o.metadata).name === name);
  const pods: KubernetesPod[] = [];
  for (const object of objects) {
    const metadata = record(object.metadata);
    if (object.kind !== 'Namespace' && metadata.namespace !== 'strata')
      problems.push(`kubernetes ${object.kind} ${metadata.name}: not in namespace strata`);
    if (!['Deployment', 'StatefulSet', 'Job'].includes(String(object.kind))) continue;
    const where = `kubernetes ${object.kind} ${metadata.name}`;
    const spec = record(object.spec);
    const template = record(spec.template);
    const labels = record(record(template.metadata).labels) as Record<string, string>;
    if (object.kind !== 'Job' && !selects(record(record(spec.selector).matchLabels), labels))
      problems.push(`${where}: its selector does not match its pod labels`);
    const podSpec = record(template.spec);
    const volumes = new Map(
      list(podSpec.volumes)
        .map(record)
        .map((v) => [text(v.name) ?? '', v]),
    );
    for (const [name, volume] of volumes) {
      const configMap = text(record(volume.configMap).name);
      const claim = text(record(volume.persistentVolumeClaim).claimName);
      if (configMap !== undefined && !named('ConfigMap', configMap)) problems.push(`${where}: volume ${name} needs ConfigMap ${configMap}`);
      if (claim !== undefined && !named('PersistentVolumeClaim', claim))
        problems.push(`${where}: volume ${name} needs PersistentVolumeClaim ${claim}`);
    }
    for (const container of list(podSpec.containers).map(record)) {
      const cwhere = `${where} container ${container.name}`;
      const imageName = text(container.image) ?? '';
      problems.push(...checkImage(cwhere, imageName));
      const ports = new Map<string, number>();
      for (const port of list(container.ports).map(record)) {
        ports.set(text(port.name) ?? String(port.containerPort), Number(port.containerPort));
        ports.set(String(port.containerPort), Number(port.containerPort));
      }
      const pod: {
        where: string;
        workload: Doc;
        labels: Record<string, string>;
        ports: Map<string, number>;
        image: string;
        daemon?: ResolvedDaemon;
      } = { where: cwhere, workload: object, labels, ports, image: imageName };
      pods.push(pod);
      if (!imageName.startsWith(`${STRATA_IMAGE}:`)) continue;
      if (container.command !== undefined) problems.push(`${cwhere}: replaces the image's strata entrypoint`);
      const env: Record<string, string> = {};
      for (const variable of list(container.env).map(record)) {
        const name = text(variable.name) ?? '';
        const from = record(variable.valueFrom);
        const secret = record(from.secretKeyRef);
        const field = text(record(from.fieldRef).fieldPath);
        if (variable.value !== undefined) env[name] = text(variable.value) ?? '';
        else if (Object.keys(secret).length > 0) {
          const value = text(record(named('Secret', text(secret.name))?.stringData)[String(secret.key)]);
          if (value === undefined)
            problems.push(`${cwhere}: ${name} reads key ${secret.key} of Secret ${secret.name}, which does not exist`);
          env[name] = value ?? '';
        } else if (field === 'metadata.name') env[name] = podName(object);
        else if (field === 'metadata.namespace') env[name] = 'strata';
        else problems.push(`${cwhere}: ${name} has no value this check knows how to read`);
      }
      const files = new Map<string, string>();
      const mounts: string[] = [];
      for (const mount of list(container.volumeMounts).map(record)) {
        const path = text(mount.mountPath) ?? '';
        mounts.push(path);
        const volume = volumes.get(text(mount.name) ?? '');
        if (!volume) problems.push(`${cwhere}: mounts volume ${mount.name}, which the pod does not declare`);
        const data = record(record(named('ConfigMap', text(record(volume?.configMap).name)))?.data);
        for (const [key, content] of Object.entries(data)) files.set(mount.subPath === key ? path : `${path}/${key}`, String(content));
      }
      const start: DaemonStart = { where: cwhere, args: list(container.args).map(String), env, files };
      const resolved = resolveDaemon(start);
      problems.push(...resolved.problems);
      const daemon = resolved.daemon;
      if (!daemon) continue;
      pod.daemon = daemon;
      for (const port of new Set(ports.values())) problems.push(...checkServedPort(`${cwhere} containerPort`, daemon, port));
      problems.push(...checkDataMounted(cwhere, daemon, image, mounts));
      for (const probe of ['readinessProbe', 'livenessProbe']) {
        const get = record(record(container[probe]).httpGet);
        const port = typeof get.port === 'number' ? get.port : ports.get(String(get.port));
        if (get.path !== '/healthz' || port !== daemon.http.port)
          problems.push(`${cwhere}: ${probe} is not GET /healthz on port ${daemon.http.port}`);
      }
      problems.push(...checkGrace(cwhere, daemon, Number(podSpec.terminationGracePeriodSeconds ?? 30), 'terminationGracePeriodSeconds'));
    }
  }
  for (const service of objects.filter((o) => o.kind === 'Service')) {
    const where = `kubernetes Service ${record(service.metadata).name}`;
    const spec = record(service.spec);
    const selected = pods.filter((p) => selects(record(spec.selector), p.labels));
    if (selected.length === 0) problems.push(`${where}: selects no pod`);
    for (const port of list(spec.ports).map(record)) {
      const target = String(port.targetPort ?? port.port);
      for (const pod of selected)
        if (!pod.ports.has(target)) problems.push(`${where}: port ${port.name} targets ${target}, which ${pod.where} does not have`);
    }
  }
  const view: DeploymentView = {
    daemons: pods.flatMap((p) => (p.daemon ? [p.daemon] : [])),
    reach: (host, port) => reachInCluster(objects, pods, host, port),
    reachesRedis: (host, port) => {
      const reached = serviceTargets(objects, pods, host, port);
      return reached.some(({ pod, port: target }) => pod.image.startsWith('redis:') && target === 6379);
    },
  };
  problems.push(...checkTopology('deploy/kubernetes', view));
  return { objects, pods, problems };
}

/** The pods (and container ports) a Service name and port reach. */
function serviceTargets(objects: Doc[], pods: KubernetesPod[], host: string, port: number): { pod: KubernetesPod; port: number }[] {
  const service = objects.find((o) => o.kind === 'Service' && record(o.metadata).name === host);
  const spec = record(service?.spec);
  const servicePort = list(spec.ports)
    .map(record)
    .find((p) => Number(p.port) === port);
  if (!servicePort) return [];
  const target = String(servicePort.targetPort ?? servicePort.port);
  return pods
    .filter((p) => selects(record(spec.selector), p.labels) && p.ports.has(target))
    .map((pod) => ({ pod, port: pod.ports.get(target)! }));
}

/** A cluster DNS name (`service` or `pod.headless-service`) and port, as a daemon there sees it. */
function reachInCluster(
  objects: Doc[],
  pods: KubernetesPod[],
  host: string,
  port: number,
): { daemon: ResolvedDaemon } | { problem: string } {
  const [first, second] = host.split('.');
  if (second === undefined) {
    const reached = serviceTargets(objects, pods, first, port).filter((r) => r.pod.daemon);
    return reached[0]?.pod.daemon
      ? { daemon: reached[0].pod.daemon }
      : { problem: `no Service ${first} with port ${port} in front of a Strata daemon` };
  }
  const service = objects.find((o) => o.kind === 'Service' && record(o.metadata).name === second);
  if (!service || record(service.spec).clusterIP !== 'None') return { problem: `${second} is not a headless Service` };
  const set = objects.find((o) => o.kind === 'StatefulSet' && record(o.spec).serviceName === second);
  const setName = text(record(set?.metadata).name) ?? '';
  const ordinal = first.startsWith(`${setName}-`) ? Number(first.slice(setName.length + 1)) : NaN;
  const replicas = Number(record(set?.spec).replicas ?? 1);
  if (!set || !Number.isInteger(ordinal) || ordinal < 0 || ordinal >= replicas)
    return { problem: `no pod ${first} in a StatefulSet governed by ${second}` };
  const pod = pods.find((p) => p.workload === set && p.daemon);
  if (!pod?.daemon) return { problem: `${first} runs no Strata daemon` };
  return [...pod.ports.values()].includes(port) ? { daemon: pod.daemon } : { problem: `${first} exposes no port ${port}` };
}

export function loadKubernetes(): Doc[] {
  const dir = join(DEPLOY_DIR, 'kubernetes');
  const kustomization = readYaml(join(dir, 'kustomization.yaml'));
  const resources = list(kustomization.resources).map(String);
  const files = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f) && f !== 'kustomization.yaml');
  const orphans = files.filter((f) => !resources.includes(f));
  if (orphans.length > 0) throw new ConfigError(`deploy/kubernetes: ${orphans.join(', ')} not in kustomization.yaml resources`);
  return resources.flatMap((file) => readYamlDocuments(join(dir, file)).map(record));
}

// ---------------------------------------------------------------------------------------------------- systemd

export interface SystemdUnit {
  readonly file: string;
  readonly sections: Map<string, Map<string, string[]>>;
}

export function readUnit(file: string): SystemdUnit {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | undefined;
  for (const raw of readFileSync(join(DEPLOY_DIR, 'systemd', file), 'utf8').split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const section = /^\[(.+)\]$/.exec(line);
    if (section) {
      current = new Map();
      sections.set(section[1], current);
      continue;
    }
    const at = line.indexOf('=');
    if (!current || at < 0) throw new ConfigError(`deploy/systemd/${file}: cannot read line ${JSON.stringify(line)}`);
    const key = line.slice(0, at);
    current.set(key, [...(current.get(key) ?? []), line.slice(at + 1)]);
  }
  return { file, sections };
}

function readEnvFile(path: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of readFileSync(path, 'utf8')
    .split('\n')
    .map((l) => l.trim())) {
    if (!line || line.startsWith('#')) continue;
    const at = line.indexOf('=');
    env[line.slice(0, at)] = line.slice(at + 1).replace(/^"(.*)"$/, '$1');
  }
  return env;
}

/** The units run the installed CLI with the example environment files beside them. */
export function checkSystemd(instance = 'eu-west'): { daemons: ResolvedDaemon[]; problems: string[] } {
  const dir = join(DEPLOY_DIR, 'systemd');
  const problems: string[] = [];
  const daemons: ResolvedDaemon[] = [];
  const examplesUsed = new Set<string>();
  const INSTALL = '/opt/strata/';
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.service'))) {
    const where = `systemd ${file}`;
    const service = readUnit(file).sections.get('Service') ?? new Map<string, string[]>();
    const one = (key: string): string | undefined => service.get(key)?.at(-1)?.replace(/%i/g, instance);
    const [node, cli, ...args] = (one('ExecStart') ?? '').split(/\s+/);
    if (node !== '/usr/bin/node' || !cli?.startsWith(INSTALL) || !existsSync(join(REPO_ROOT, cli.slice(INSTALL.length)))) {
      problems.push(`${where}: ExecStart does not run node on the built CLI under ${INSTALL}`);
    }
    const env: Record<string, string> = {};
    for (const entry of service.get('Environment') ?? []) {
      const [name, ...value] = entry.replace(/%i/g, instance).split('=');
      env[name] = value.join('=');
    }
    for (const path of service.get('EnvironmentFile') ?? []) {
      const example = `${path.split('/').at(-1)!.replace('-%i', '')}.example`;
      if (!existsSync(join(dir, example))) {
        problems.push(`${where}: EnvironmentFile ${path} has no ${example} beside the unit`);
        continue;
      }
      examplesUsed.add(example);
      Object.assign(env, readEnvFile(join(dir, example)));
    }
    const resolved = resolveDaemon({ where, args, env });
    problems.push(...resolved.problems);
    const daemon = resolved.daemon;
    if (!daemon) continue;
    daemons.push(daemon);
    problems.push(...checkGrace(where, daemon, durationSeconds(one('TimeoutStopSec') ?? '90'), 'TimeoutStopSec'));
    if (daemon.kind === 'coordinator' && one('ProtectSystem') === 'strict') {
      const writable = [...(service.get('StateDirectory') ?? []).map((d) => `/var/lib/${d}`), ...(service.get('ReadWritePaths') ?? [])];
      const runs = resolve(one('WorkingDirectory') ?? '/', daemon.config.runsDir);
      if (!writable.some((w) => runs === w || runs.startsWith(`${w}/`)))
        problems.push(`${where}: ProtectSystem=strict leaves ${runs} read-only: the run record cannot be written`);
    }
  }
  for (const example of readdirSync(dir).filter((f) => f.endsWith('.env.example'))) {
    if (!examplesUsed.has(example)) problems.push(`systemd ${example}: no unit reads it`);
  }
  return { daemons, problems };
}

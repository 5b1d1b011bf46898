// Acceptance: the deployment files of deploy/ parse, and reference only images that exist (the one
// deploy/Dockerfile builds, pinned public ones), environment variables and flags the daemons accept (resolved
// with the CLI's own field tables and the daemons' schemas), and ports the daemons listen on; the daemons of
// each deployment agree on regions, tokens, Redis and the task. Docker itself is not needed (nor run).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { PROCESS_VARIABLES, sourceReads } from './deploy-daemon-check.js';
import {
  DEPLOY_DIR,
  checkCompose,
  checkComposePrometheus,
  checkDockerfile,
  checkKubernetes,
  checkSystemd,
  loadKubernetes,
  readYaml,
  record,
  type Doc,
} from './deploy-files.js';

const { image, problems: dockerfileProblems } = checkDockerfile();
const composeFile = (): Doc => readYaml(join(DEPLOY_DIR, 'compose.yaml'));

test('the Dockerfile builds one node:20 slim image whose entrypoint is the strata CLI', () => {
  assert.deepEqual(dockerfileProblems, []);
  assert.equal(image.env.STRATA_DATA_DIR, '/data');
  assert.deepEqual([...image.exposed].sort(), [7400, 9400, 9401, 9402]);
});

test('the compose file runs Redis, a coordinator, an edge in each of two regions, devices, Prometheus and Grafana with options the daemons accept', () => {
  const compose = checkCompose(composeFile(), image);
  assert.deepEqual(compose.problems, []);
  const kinds = [...compose.daemons.values()].map((d) => d.kind);
  assert.equal(kinds.filter((k) => k === 'coordinator').length, 1);
  const edges = [...compose.daemons.values()].flatMap((d) => (d.kind === 'edge' ? [d.config.region] : []));
  assert.deepEqual(edges.sort(), ['eu-west', 'us-east']);
  assert.ok(kinds.filter((k) => k === 'device').length >= 2);
  for (const name of ['redis', 'prometheus', 'grafana']) assert.ok(compose.services.has(name), `service ${name}`);
  for (const daemon of compose.daemons.values()) {
    for (const port of daemon.kind === 'edge' ? [daemon.http.port, daemon.devices.port] : [daemon.http.port]) {
      assert.ok(image.exposed.has(port), `the image exposes ${daemon.where}'s port ${port}`);
    }
  }
});

test('Prometheus scrapes every daemon of the compose file on the port and interface it serves /metrics on', () => {
  const prometheus = checkComposePrometheus(checkCompose(composeFile(), image));
  assert.deepEqual(prometheus.problems, []);
  assert.deepEqual([...prometheus.jobs.keys()].sort(), ['strata-coordinator', 'strata-device', 'strata-edge']);
});

test('the Kubernetes manifests: coordinator Deployment and Service, an edge StatefulSet per region with replicas, device Jobs, ConfigMaps, Secrets, /healthz probes', () => {
  const kubernetes = checkKubernetes(image);
  assert.deepEqual(kubernetes.problems, []);
  const of = (kind: string): Doc[] => kubernetes.objects.filter((o) => o.kind === kind);
  const runs = (kind: string) => kubernetes.pods.filter((p) => p.daemon?.kind === kind);
  assert.equal(runs('coordinator').length, 1);
  assert.equal(runs('coordinator')[0].workload.kind, 'Deployment');
  assert.ok(of('Service').some((s) => record(record(s.spec).selector)['app.kubernetes.io/name'] === 'strata-coordinator'));
  const edgeSets = runs('edge').map((p) => p.workload);
  assert.deepEqual(
    runs('edge')
      .map((p) => (p.daemon?.kind === 'edge' ? p.daemon.config.region : ''))
      .sort(),
    ['eu-west', 'us-east'],
  );
  for (const set of edgeSets) assert.ok(Number(record(set.spec).replicas) >= 2, 'an edge per region with a standby replica');
  assert.ok(runs('device').length >= 2 && runs('device').every((p) => p.workload.kind === 'Job'));
  assert.ok(of('ConfigMap').length >= 3 && of('Secret').length >= 2);
});

test('the systemd units run the installed CLI with the example environment files, as an edge and a coordinator accept them', () => {
  const systemd = checkSystemd();
  assert.deepEqual(systemd.problems, []);
  assert.deepEqual(systemd.daemons.map((d) => d.kind).sort(), ['coordinator', 'edge']);
});

test('the process-level variables the deployment files set are still read by the code', () => {
  for (const variable of Object.keys(PROCESS_VARIABLES))
    assert.ok(sourceReads(variable), `${PROCESS_VARIABLES[variable]} reads ${variable}`);
});

test('the checks refuse a variable, flag, port, image, address, token or probe that does not exist', () => {
  const broken = composeFile();
  const services = record(broken.services);
  const edge = record(services['edge-eu-west']);
  const devices = record(services['devices-eu-west']);
  record(edge.environment).STRATA_LISTEN_PRT = '7400';
  edge.ports = ['9999:9999'];
  record(services['devices-us-east']).command = ['device', '--edge-count', '3'];
  devices.environment = { ...record(devices.environment), STRATA_EDGES: 'http://edge-nowhere:7400', STRATA_HTTP_HOST: '127.0.0.1' };
  record(services['edge-us-east']).environment = { ...record(record(services['edge-us-east']).environment), STRATA_TOKEN: 'another-token' };
  record(services.redis).image = 'redis:latest';
  record(services.coordinator).image = 'strata-coordinator:1';
  const compose = checkCompose(broken, image);
  const found = [...compose.problems, ...checkComposePrometheus(compose).problems].join('\n');
  assert.match(found, /edge-eu-west: strata edge does not read the environment variable STRATA_LISTEN_PRT/);
  assert.match(found, /edge-eu-west ports: port 9999 is not one strata edge listens on/);
  assert.match(found, /devices-us-east: strata device refuses its arguments: .*unknown option '--edge-count'/);
  assert.match(found, /devices-eu-west: edge http:\/\/edge-nowhere:7400: no service is named edge-nowhere/);
  assert.match(found, /devices-eu-west:9402: port 9402 is bound to 127\.0\.0\.1/);
  assert.match(found, /redis: pin redis to a version, not latest/);
  assert.match(found, /coordinator: image strata-coordinator:1 is neither strata/);

  const swapped = composeFile();
  const swappedServices = record(swapped.services);
  record(swappedServices['edge-us-east']).environment = {
    ...record(record(swappedServices['edge-us-east']).environment),
    STRATA_TOKEN: 'another-token',
  };
  assert.match(
    checkCompose(swapped, image).problems.join('\n'),
    /devices-us-east: its token is not the token of http:\/\/edge-us-east:7400/,
  );

  const objects = loadKubernetes();
  const coordinator = objects.find((o) => o.kind === 'Deployment' && record(o.metadata).name === 'coordinator')!;
  const container = record((record(record(record(coordinator.spec).template).spec).containers as unknown[])[0]);
  record(record(container.livenessProbe).httpGet).port = 9401;
  const secret = objects.find((o) => o.kind === 'Secret' && record(o.metadata).name === 'strata-tokens')!;
  delete record(secret.stringData)['us-east'];
  const kubeFound = checkKubernetes(image, objects).problems.join('\n');
  assert.match(kubeFound, /coordinator: livenessProbe is not GET \/healthz on port 9400/);
  assert.match(kubeFound, /STRATA_TOKEN reads key us-east of Secret strata-tokens, which does not exist/);

  const misconfigured = loadKubernetes();
  const configMap = misconfigured.find((o) => o.kind === 'ConfigMap' && record(o.metadata).name === 'strata-coordinator')!;
  record(configMap.data)['coordinator.yaml'] = 'regions: [eu-west]\nroundz: 3\nhttp: { host: 0.0.0.0, port: 9400 }\n';
  const configFound = checkKubernetes(image, misconfigured).problems.join('\n');
  assert.match(configFound, /container coordinator: strata coordinator refuses its configuration: .*Unrecognized key: "roundz"/);
});

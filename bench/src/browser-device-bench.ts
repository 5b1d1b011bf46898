// Training speed of a browser device against a Node device, for BPR-MF (triples a second) and the voxel grid
// (rays a second): the same devices (ml-100k users; a procedural scene's view partitions, trained from the
// initial grid, which every ray marches through to the far bound), built from their data as a browser device
// page builds them, and the same measuring code, run in Node and in a Web Worker of headless Chromium
// (playwright-core driving Debian's chromium). Each device trains as a round runs it. One warm-up pass each,
// then Node's and the browser's passes alternate, so both see the same load on a shared machine; medians.
// Figures, not pass/fail.
// Usage:
//   node bench/dist/src/browser-device-bench.js [--users 100] [--local-steps 5] [--passes 5]
//     [--scene-res 48] [--grid 48] [--scene-devices 2] [--scene-steps 20] [--batch 512]

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import {
  BprMfTask,
  ITEM_EMBEDDING,
  ProceduralScene,
  RadianceVoxelGridTask,
  deviceFromData,
  loadInteractions,
  ml100kSource,
  radianceDeviceData,
  recsysDeviceData,
} from '@strata/tasks';
import { preparePass, encodeModel, type PassSample, type ThroughputJob } from './device-throughput.js';
import type { WorkerReply, WorkerRequest } from './browser/device-throughput-worker.js';

// The little of the page's globals the evaluated functions use: this package compiles without the DOM's types.
interface BenchWorker {
  onmessage: ((event: { data: WorkerReply }) => void) | null;
  postMessage(request: WorkerRequest): void;
}
declare const Worker: new (url: string) => BenchWorker;
declare const window: { bench: (request: WorkerRequest) => Promise<WorkerReply> };

const CHROMIUM = process.env.STRATA_CHROMIUM ?? '/usr/bin/chromium';
const { values: args } = parseArgs({
  options: {
    users: { type: 'string', default: '100' },
    'local-steps': { type: 'string', default: '5' },
    passes: { type: 'string', default: '5' },
    'scene-res': { type: 'string', default: '48' },
    grid: { type: 'string', default: '48' },
    'scene-devices': { type: 'string', default: '2' },
    'scene-steps': { type: 'string', default: '20' },
    batch: { type: 'string', default: '512' },
  },
});
const users = Number(args.users);
const localSteps = Number(args['local-steps']);
const passes = Number(args.passes);
const sceneDevices = Number(args['scene-devices']);
const sceneSteps = Number(args['scene-steps']);
const batchSize = Number(args.batch);

// BPR-MF: the users' splits, trained against the initial item table.
const bpr = BprMfTask.fromInteractions(loadInteractions(ml100kSource()));
const bprJob: ThroughputJob = {
  label: `BPR-MF device training, ${users} ml-100k users, ${localSteps} local epochs each`,
  devices: Array.from({ length: users }, (_, k) => recsysDeviceData(bpr, k)),
  model: encodeModel(new Map([[ITEM_EMBEDDING, bpr.initModel().get(ITEM_EMBEDDING)!]])),
  options: { round: 1, localSteps, options: {} },
};
// The voxel grid: the procedural scene's view partitions, trained from the initial (untrained) grid.
const scene = new ProceduralScene({ seed: 1, size: Number(args['scene-res']) }).dataset();
const radiance = new RadianceVoxelGridTask(scene, { devices: sceneDevices, points: Number(args.grid) ** 3, seed: 1 });
const radianceJob: ThroughputJob = {
  label:
    `voxel-grid device training, procedural scene at ${args['scene-res']} px, ${radiance.geometry.dims.join('×')} grid, ` +
    `${sceneDevices} devices × ${sceneSteps} local steps of ${batchSize} rays`,
  devices: Array.from({ length: sceneDevices }, (_, k) => radianceDeviceData(radiance, k)),
  model: encodeModel(radiance.initModel()),
  options: { round: 1, localSteps: sceneSteps, options: { ...radiance.defaultOptions(), batchSize } },
};
await radiance.close();
const jobs = [bprJob, radianceJob];

const nodePasses = jobs.map((job) => preparePass(job, deviceFromData));

const worker = await build({
  entryPoints: [fileURLToPath(new URL('./browser/device-throughput-worker.js', import.meta.url))],
  bundle: true,
  platform: 'browser',
  format: 'iife',
  write: false,
  logLevel: 'warning',
});
const body = JSON.stringify(jobs);
const server = createServer((request, response) => {
  if (request.url === '/worker.js') response.writeHead(200, { 'content-type': 'text/javascript' }).end(worker.outputFiles[0].contents);
  else if (request.url === '/jobs.json') response.writeHead(200, { 'content-type': 'application/json' }).end(body);
  else response.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>bench</title>');
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const { chromium } = await import('playwright-core');
const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
const nodeRates: number[][] = jobs.map(() => []);
const browserRates: number[][] = jobs.map(() => []);
try {
  const page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
  // window.bench: one request to the worker, its reply.
  await page.evaluate(() => {
    const worker = new Worker('/worker.js');
    window.bench = (request) =>
      new Promise((resolve) => {
        worker.onmessage = ({ data }) => resolve(data);
        worker.postMessage(request);
      });
  });
  const ask = async (request: WorkerRequest): Promise<WorkerReply> => {
    const reply = await page.evaluate((r) => window.bench(r), request);
    if ('error' in reply) throw new Error(`the browser's worker: ${reply.error}`);
    return reply;
  };
  await ask({ load: '/jobs.json' });
  const browserPass = async (k: number): Promise<PassSample> => ((await ask({ pass: k })) as { sample: PassSample }).sample;
  const rate = (sample: PassSample): number => sample.work / sample.seconds;
  for (const k of jobs.keys()) {
    await nodePasses[k]();
    await browserPass(k);
    for (let pass = 0; pass < passes; pass++) {
      nodeRates[k].push(rate(await nodePasses[k]()));
      browserRates[k].push(rate(await browserPass(k)));
    }
  }
} finally {
  await browser.close();
  server.close();
}

const median = (rates: number[]): number => [...rates].sort((a, b) => a - b)[Math.floor(rates.length / 2)];
for (const [k, job] of jobs.entries()) {
  const unit = deviceFromData(job.devices[0]).unit;
  const show = (rates: number[]): string =>
    `${Math.round(median(rates)).toLocaleString('en')} ${unit}/s (passes ${rates.map((r) => Math.round(r / 1000)).join(', ')} k)`;
  console.log(job.label);
  console.log(`  Node ${process.version}:        ${show(nodeRates[k])}`);
  console.log(`  Chromium Web Worker: ${show(browserRates[k])}`);
  console.log(`  browser / Node: ${(median(browserRates[k]) / median(nodeRates[k])).toFixed(2)}`);
}

// BPR-MF training speed of a browser device against a Node device: the same devices (ml-100k users, built from
// their data as a browser device page builds them) and the same measuring code, run in Node and in a Web
// Worker of headless Chromium (playwright-core driving Debian's chromium). Triples a second, median of the
// passes after a warm-up. Figures, not pass/fail.
// Usage:
//   node bench/dist/src/browser-device-bench.js [--users 100] [--local-steps 5] [--passes 5]

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import {
  BprMfTask,
  ITEM_EMBEDDING,
  loadInteractions,
  ml100kSource,
  recsysDeviceData,
  recsysDeviceFromData,
  type BprMfDevice,
} from '@strata/tasks';
import { bprDeviceThroughput } from './bpr-device-throughput.js';
import type { BenchRequest } from './browser/bpr-throughput-worker.js';

// The little of the page's globals the evaluated function uses: this package compiles without the DOM's types.
declare const Worker: new (
  url: string,
) => { onmessage: ((event: { data: { rates: number[] } | { error: string } }) => void) | null; postMessage(message: BenchRequest): void };

const CHROMIUM = process.env.STRATA_CHROMIUM ?? '/usr/bin/chromium';
const { values: args } = parseArgs({
  options: {
    users: { type: 'string', default: '100' },
    'local-steps': { type: 'string', default: '5' },
    passes: { type: 'string', default: '5' },
  },
});
const users = Number(args.users);
const localSteps = Number(args['local-steps']);
const passes = Number(args.passes);

const task = BprMfTask.fromInteractions(loadInteractions(ml100kSource()));
const data = Array.from({ length: users }, (_, k) => recsysDeviceData(task, k));
const table = task.initModel().get(ITEM_EMBEDDING)!;
const median = (rates: number[]): number => [...rates].sort((a, b) => a - b)[Math.floor(rates.length / 2)];
const show = (rates: number[]): string =>
  `${Math.round(median(rates)).toLocaleString('en')} triples/s (passes ${rates.map((r) => Math.round(r / 1000)).join(', ')} k)`;

const nodeRates = await bprDeviceThroughput(
  data.map((d) => recsysDeviceFromData(d) as BprMfDevice),
  new Map([[ITEM_EMBEDDING, table]]),
  localSteps,
  passes,
);

const worker = await build({
  entryPoints: [fileURLToPath(new URL('./browser/bpr-throughput-worker.js', import.meta.url))],
  bundle: true,
  platform: 'browser',
  format: 'iife',
  write: false,
  logLevel: 'warning',
});
const server = createServer((request, response) => {
  if (request.url === '/worker.js') response.writeHead(200, { 'content-type': 'text/javascript' }).end(worker.outputFiles[0].contents);
  else response.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>bench</title>');
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const { chromium } = await import('playwright-core');
const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
let browserRates: number[];
try {
  const page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
  const request = { devices: data, table: [...table.values], shape: table.shape as [number, number], localSteps, passes };
  browserRates = await page.evaluate(
    (request) =>
      new Promise<number[]>((resolve, reject) => {
        const bench = new Worker('/worker.js');
        bench.onmessage = ({ data }) => ('rates' in data ? resolve(data.rates) : reject(new Error(data.error)));
        const message: BenchRequest = { ...request, table: Float32Array.from(request.table) };
        bench.postMessage(message);
      }),
    request,
  );
} finally {
  await browser.close();
  server.close();
}

const triples = data.reduce((n, d) => n + d.trainItems.length, 0) * localSteps;
console.log(
  `BPR-MF device training, ${users} ml-100k users, ${localSteps} local epochs each (${triples.toLocaleString('en')} triples a pass)`,
);
console.log(`  Node ${process.version}:        ${show(nodeRates)}`);
console.log(`  Chromium Web Worker: ${show(browserRates)}`);
console.log(`  browser / Node: ${(median(browserRates) / median(nodeRates)).toFixed(2)}`);

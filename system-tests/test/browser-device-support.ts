// Helpers of the browser device tests: device pages opened in Chromium against an edge daemon, what a page
// shows (its `window.strataDevice`), and the all-Node reference run of the same size (the embedded runtime,
// which the distributed one matches bit for bit).

import type { Browser, Page } from 'playwright-core';
import type { FederatedTask, UpdateDefences } from '@strata/shared';
import { TOKEN } from './distributed-support.js';
import { embeddedRun } from './embedded-reference-run.js';

export interface DeviceView {
  status: string;
  nodeId: string | null;
  task: string | null;
  reloads: number;
  progress: {
    round: number;
    trainings: number;
    evaluations: number;
    bytesDown: number;
    bytesUp: number;
    loss: number | null;
    speed: number | null;
    speedUnit: string | null;
  } | null;
}

// The page's global the probes read (this package compiles without the DOM's types).
declare const window: { strataDevice?: DeviceView };

export const deviceView = (page: Page): Promise<DeviceView | undefined> => page.evaluate(() => window.strataDevice);

export async function waitForPage(page: Page, what: string, ready: (v: DeviceView) => boolean, timeoutMs = 60_000): Promise<DeviceView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const seen = await deviceView(page).catch(() => undefined);
    if (seen && ready(seen)) return seen;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: the page shows ${JSON.stringify(seen)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Device pages for users 0..count-1 (node ids device-<k+1>, the layout of `strata device`), each in a context
 * of its own (its own IndexedDB, as on separate machines); page errors are collected into `errors`. `extra(k)`
 * adds to page k's link fragment (`&compression=int8`).
 */
export async function openDevicePages(
  browser: Browser,
  edgeHttp: string,
  count: number,
  errors: string[],
  extra: (k: number) => string = () => '',
): Promise<Page[]> {
  const pages: Page[] = [];
  for (let k = 0; k < count; k++) {
    const context = await browser.newContext({ viewport: { width: 900, height: 640 } });
    const page = await context.newPage();
    page.on('pageerror', (error) => errors.push(`device-${k + 1}: ${error.message}`));
    await page.goto(`${edgeHttp}/device/#token=${TOKEN}&device=device-${k + 1}&user=${k}${extra(k)}`);
    pages.push(page);
  }
  return pages;
}

/** The final metrics of an embedded run of `task` with `devices` devices under one edge, `rounds` rounds of κ1 local steps. */
export async function allNodeMetrics(
  task: FederatedTask,
  devices: number,
  rounds: number,
  kappa1?: number,
  defences?: Partial<UpdateDefences>,
): Promise<Record<string, number>> {
  const run = await embeddedRun(task, {
    edges: 1,
    devices,
    rounds,
    ...(kappa1 === undefined ? {} : { kappa1 }),
    ...(defences ? { defences } : {}),
  });
  return run.rounds.at(-1)?.evaluation ?? {};
}

// Debian's chromium driven by playwright-core (never a downloaded browser), for the browser tests: where it
// is, why a test is skipped without it, and a headless launch closed after the test.

import { existsSync } from 'node:fs';
import type { TestContext } from 'node:test';
import type { Browser } from 'playwright-core';

export const CHROMIUM = process.env.STRATA_CHROMIUM ?? '/usr/bin/chromium';

/** The reason to skip a browser test (false when chromium is there). */
export const chromiumMissing: string | false = existsSync(CHROMIUM)
  ? false
  : `no chromium at ${CHROMIUM}: install it (apt-get install -y chromium) or set STRATA_CHROMIUM`;

/**
 * `extraArgs`: more switches, e.g. `--enable-unsafe-swiftshader` for WebGL on the CPU (SwiftShader), which
 * the splat viewer test needs where there is no GPU.
 */
export async function launchChromium(t: TestContext, extraArgs: readonly string[] = []): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      ...extraArgs,
    ],
  });
  t.after(() => browser.close());
  return browser;
}

// The core runs in a browser Web Worker as well as in Node (browser devices run the same wire, protocol,
// strategies, aggregation and task interfaces): esbuild bundles it for the browser platform, which fails on
// any Node built-in anywhere in its import graph (its dependencies included), and its own compiled code uses
// no Node global.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type BuildOptions } from 'esbuild';

const dist = fileURLToPath(new URL('../src/', import.meta.url));
const browser: BuildOptions = { bundle: true, platform: 'browser', format: 'esm', write: false, logLevel: 'silent', metafile: true };

test('the core bundles for the browser platform: no Node built-in anywhere in its import graph', async () => {
  const result = await build({ ...browser, entryPoints: [join(dist, 'index.js')] });
  const inputs = Object.keys(result.metafile?.inputs ?? {});
  for (const part of [
    'wire/envelope-codec.js',
    'fl/strategies/fed-adam.js',
    'fl/aggregation/sparse-weighted-mean.js',
    'privacy/secagg/secagg-device.js',
  ]) {
    assert.ok(
      inputs.some((input) => input.endsWith(part)),
      `the bundle holds ${part}`,
    );
  }
  assert.ok(
    inputs.some((input) => input.includes('@noble/curves')),
    "and the core's dependencies",
  );
  assert.ok((result.outputFiles?.[0]?.contents.byteLength ?? 0) > 100_000);
});

test('the same bundling fails on a Node built-in, so the test above can fail', async () => {
  const scratch = mkdtempSync(join(tmpdir(), 'strata-bundle-'));
  try {
    const entry = join(scratch, 'entry.js');
    writeFileSync(entry, "import { readFileSync } from 'node:fs';\nexport const read = readFileSync;\n");
    await assert.rejects(build({ ...browser, entryPoints: [entry] }), /node:fs/);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
});

function compiledFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'generated' ? [] : compiledFiles(path);
    return name.endsWith('.js') ? [path] : [];
  });
}

test("the core's own code uses no Node global (Buffer only where uninitialized-bytes reaches it through globalThis)", () => {
  const files = compiledFiles(dist);
  assert.ok(files.length > 50);
  const offenders = files.filter((file) => {
    const code = readFileSync(file, 'utf8').replace(/\/\/.*$|\/\*[\s\S]*?\*\//gm, '');
    const buffer = /\bBuffer\b/.test(code) && !file.endsWith('uninitialized-bytes.js');
    return buffer || /\bprocess\.|\brequire\(|\bsetImmediate\(|\b__dirname\b/.test(code);
  });
  assert.deepEqual(offenders, []);
});

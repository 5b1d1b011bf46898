import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

// The privacy modules run in a browser Web Worker too: everything they import, transitively (the @noble
// packages included), must be free of Node built-ins, and their own code must not use Node globals.
const entry = fileURLToPath(new URL('../src/privacy/index.js', import.meta.url));
const IMPORT = /(?:^|[;\s])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|(?:^|[;\s])import\s*\(?\s*['"]([^'"]+)['"]/gm;
const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);

function importsOf(file: string): string[] {
  const source = readFileSync(file, 'utf8');
  return [...source.matchAll(IMPORT)].map((m) => m[1] ?? m[2]);
}

test('the privacy modules import no Node built-in, directly or through their dependencies', () => {
  const seen = new Set<string>();
  const queue = [entry];
  const offenders: string[] = [];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const specifier of importsOf(file)) {
      if (builtins.has(specifier) || specifier.startsWith('node:')) {
        offenders.push(`${file} imports ${specifier}`);
        continue;
      }
      const resolved = specifier.startsWith('.') ? resolve(dirname(file), specifier)
        : fileURLToPath(import.meta.resolve(specifier, pathToFileURL(file).href));
      queue.push(resolved);
    }
  }
  assert.deepEqual(offenders, []);
  assert.ok([...seen].some((f) => f.includes('@noble/curves')), 'the walk reached the @noble packages');
  assert.ok(seen.size > 20, `${seen.size} modules walked`);
  const own = [...seen].filter((f) => f.includes('/shared/dist/src/'));
  for (const file of own) {
    const source = readFileSync(file, 'utf8');
    assert.ok(!/\bBuffer\b|\bprocess\.|\brequire\(/.test(source), `${file} uses a Node global`);
  }
});

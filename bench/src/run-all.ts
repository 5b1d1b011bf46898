// `npm run bench [-- name ...]`: runs the benchmarks one after another, each in its own process so one's
// memory and JIT state do not colour the next. Names are the files in this folder without `-bench`
// (codec, aggregation, bpr, runtime, sim-scale, ...); no name runs them all.

import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const available = readdirSync(here)
  .filter((file) => file.endsWith('-bench.js'))
  .map((file) => file.slice(0, -'-bench.js'.length))
  .sort();
const wanted = process.argv.slice(2);
const unknown = wanted.filter((name) => !available.includes(name));
if (unknown.length > 0) {
  console.error(`unknown bench ${unknown.join(', ')} (benches: ${available.join(', ')})`);
  process.exit(2);
}
let failed = 0;
for (const name of wanted.length > 0 ? wanted : available) {
  console.log(`\n=== ${name} ===`);
  const result = spawnSync(process.execPath, [join(here, `${name}-bench.js`)], { stdio: 'inherit' });
  if (result.status !== 0) failed++;
}
process.exit(failed > 0 ? 1 : 0);

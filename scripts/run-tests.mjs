// Runs every compiled test file (`<package>/dist/test/**/*.test.js`) with node's test runner.
// Pass package names to run a subset: `npm test -- shared tasks`.
import { spawnSync } from 'node:child_process';
import { readdirSync, existsSync, statSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const packages = [
  'shared',
  'runtime',
  'tasks',
  'device-client',
  'browser-device',
  'edge-node',
  'dashboard',
  'coordinator',
  'simulator',
  'cli',
  'system-tests',
  'bench',
];
const only = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const extra = process.argv.slice(2).filter((a) => a.startsWith('-'));

function findTests(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return findTests(path);
    return name.endsWith('.test.js') ? [path] : [];
  });
}

const files = packages
  .filter((p) => only.length === 0 || only.includes(p))
  .flatMap((p) => findTests(join(root, p, 'dist', 'test')))
  .sort();
if (files.length === 0) {
  console.error('no compiled test files found: run `npm run build` first');
  process.exit(1);
}
const result = spawnSync(process.execPath, ['--test', '--test-concurrency=2', ...extra, ...files], {
  cwd: root,
  stdio: 'inherit',
});
process.exit(result.status ?? 1);

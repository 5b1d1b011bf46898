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
const runTests = (testFiles, env = process.env) =>
  spawnSync(process.execPath, ['--test', '--test-concurrency=2', ...extra, ...testFiles], { cwd: root, stdio: 'inherit', env }).status ?? 1;
let status = runTests(files);
// Where the build compiled the native wire codecs, the wire tests above ran on them; the WebAssembly kernels
// (every browser's, and any host without a C compiler) take the same tests once more without them.
const wireTests = files.filter((file) => /[\\/]shared[\\/]dist[\\/]test[\\/]wire-[^\\/]*\.test\.js$/.test(file));
if (existsSync(join(root, 'shared/dist/native/strata-codecs.node')) && wireTests.length > 0) {
  console.log('\n# the wire tests again with STRATA_NATIVE_CODECS=0 (the WebAssembly kernels)');
  status = runTests(wireTests, { ...process.env, STRATA_NATIVE_CODECS: '0' }) || status;
}
process.exit(status);

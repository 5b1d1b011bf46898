// Build everything: generate the protobuf static code from shared/src/wire/strata.proto, type-check and
// compile every workspace (tsc -b), then place the generated JavaScript beside the compiled sources.
import { execFileSync } from 'node:child_process';
import { mkdirSync, copyFileSync, statSync, existsSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => join(root, 'node_modules', '.bin', name);
const proto = join(root, 'shared/src/wire/strata.proto');
const genDir = join(root, 'shared/src/wire/generated');
const genJs = join(genDir, 'strata.js');
const genDts = join(genDir, 'strata.d.ts');
const run = (cmd, args) => execFileSync(cmd, args, { cwd: root, stdio: 'inherit' });

const stale = !existsSync(genDts) || statSync(genDts).mtimeMs < statSync(proto).mtimeMs;
if (stale) {
  mkdirSync(genDir, { recursive: true });
  run(bin('pbjs'), [
    '-t',
    'static-module',
    '-w',
    'es6',
    '--force-number',
    '--no-verify',
    '--no-delimited',
    '--no-convert',
    '-o',
    genJs,
    proto,
  ]);
  run(bin('pbts'), ['--no-comments', '-o', genDts, genJs]);
}
// The generated code goes beside the compiled sources before tsc runs: the workspaces that depend on shared
// type-check against shared/dist, so a stale copy there (a proto changed since the last build) would fail them.
const outDir = join(root, 'shared/dist/src/wire/generated');
mkdirSync(outDir, { recursive: true });
copyFileSync(genJs, join(outDir, 'strata.js'));
copyFileSync(genDts, join(outDir, 'strata.d.ts'));
run(bin('tsc'), ['-b', ...process.argv.slice(2)]);
buildNativeCodecs();

/**
 * The native wire codecs (shared/native/strata-codecs.c, loaded by shared/src/wire/native-codecs.ts) where a C
 * compiler (CC, else cc) and Node's headers are present. Optional: without them the WebAssembly kernels serve,
 * with the same results, and the build says so in one line.
 */
function buildNativeCodecs() {
  const source = join(root, 'shared/native/strata-codecs.c');
  const out = join(root, 'shared/dist/native/strata-codecs.node');
  if (existsSync(out) && statSync(out).mtimeMs >= statSync(source).mtimeMs) return;
  rmSync(out, { force: true });
  const headers = join(dirname(process.execPath), '..', 'include', 'node');
  const skip = (why) => console.warn(`build: native codecs not built (${why}); the WebAssembly kernels serve`);
  if (!existsSync(join(headers, 'node_api.h'))) return skip(`no Node headers at ${headers}`);
  mkdirSync(dirname(out), { recursive: true });
  const compiler = process.env.CC || 'cc';
  // -ffp-contract=off: every multiply and add rounded on its own, as in the WebAssembly kernels.
  // macOS links a shared object only with Node-API's symbols left for the process to provide.
  const macos = process.platform === 'darwin' ? ['-undefined', 'dynamic_lookup'] : [];
  const flags = ['-O2', '-ffp-contract=off', '-fPIC', '-shared', ...macos, '-I', headers, source, '-o', out, '-lm'];
  try {
    execFileSync(compiler, flags, { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (error) {
    rmSync(out, { force: true });
    const detail = error.stderr?.toString().trim().split('\n')[0] || error.message;
    return skip(`${compiler}: ${detail}`);
  }
}

// The browser device's page, its Web Worker and the viewer page: tsc compiled and type-checked them
// (browser-device/dist/page); esbuild bundles each with its imports (the core, the socket.io client, the task
// code) for the browser.
const { build } = await import('esbuild');
await build({
  entryPoints: ['device-page', 'device-worker', 'viewer-page'].map((name) => join(root, 'browser-device/dist/page', `${name}.js`)),
  outdir: join(root, 'browser-device/dist/bundle'),
  bundle: true,
  platform: 'browser',
  format: 'esm',
  target: 'es2022',
  minify: true,
  logLevel: 'warning',
});

// The dashboard's splat viewer: tsc compiled and type-checked it (dashboard/dist/page); esbuild bundles it with
// three.js and Spark, which the dashboard serves as /assets/splat-viewer.js.
await build({
  entryPoints: [join(root, 'dashboard/dist/page/splat-viewer.js')],
  outdir: join(root, 'dashboard/dist/bundle'),
  bundle: true,
  platform: 'browser',
  format: 'esm',
  target: 'es2022',
  minify: true,
  logLevel: 'warning',
});

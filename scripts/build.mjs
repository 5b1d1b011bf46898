// Build everything: generate the protobuf static code from shared/src/wire/strata.proto, type-check and
// compile every workspace (tsc -b), then place the generated JavaScript beside the compiled sources.
import { execFileSync } from 'node:child_process';
import { mkdirSync, copyFileSync, statSync, existsSync } from 'node:fs';
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

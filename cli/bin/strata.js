#!/usr/bin/env node
// The `strata` command (package.json "bin"). A committed file, so npm links it at install time whether or not
// the TypeScript is built yet; it runs the compiled CLI and says how to build it when it is missing.
import { existsSync } from 'node:fs';

const main = new URL('../dist/src/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write('strata: the CLI is not built yet: run `npm run build` in the Strata checkout first\n');
  process.exit(2);
}
await import(main.href);

// Every example a user can copy from `strata <command> --help` and from the README runs: each is run as a
// process from the repository root, with --dry-run where the command trains or serves (it then builds the
// task, loads the data and validates every option, strategy and schema as the real run would, and exits).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { STRATA_BIN } from '@strata/cli';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** Commands whose examples run as they are (they only print). */
const PRINTING = new Set(['tasks', 'view-simulate']);
const COMMANDS = ['run', 'train recsys', 'train radiance', 'simulate', 'game', 'coordinator', 'edge', 'device', 'tasks'];

interface Example {
  readonly env: Record<string, string>;
  readonly args: string[];
}

/** `VAR=value ... strata a b c` as environment and arguments (examples quote nothing). */
function parseExample(line: string): Example {
  const words = line.trim().split(/\s+/);
  const env: Record<string, string> = {};
  while (words.length > 0 && /^[A-Z_][A-Z0-9_]*=/.test(words[0])) {
    const [name, ...value] = (words.shift() as string).split('=');
    env[name] = value.join('=');
  }
  const program = words.shift();
  assert.ok(program === 'strata' || (program === 'npx' && words.shift() === 'strata'), `an example runs strata: ${line}`);
  return { env, args: words };
}

function examplesOf(help: string): string[] {
  const section = help.split(/^Examples:$/m)[1];
  return section === undefined
    ? []
    : section
        .split('\n')
        .filter((line) => /^\s+\S/.test(line))
        .map((line) => line.trim());
}

async function strata(example: Example): Promise<string> {
  const command = example.args
    .filter((a) => !a.startsWith('-'))
    .slice(0, 2)
    .join(' ');
  const dryRun = PRINTING.has(example.args[0]) ? [] : ['--dry-run'];
  try {
    const { stdout } = await run(process.execPath, [STRATA_BIN, ...example.args, ...dryRun], {
      cwd: ROOT,
      env: { ...process.env, ...example.env, STRATA_LOG_LEVEL: 'error' },
      maxBuffer: 32 * 1024 * 1024,
    });
    return stdout;
  } catch (error) {
    const failure = error as { stderr?: string; message: string };
    throw new Error(`\`strata ${example.args.join(' ')}\` (${command}) failed: ${failure.stderr || failure.message}`);
  }
}

test("every example in the commands' help runs", async () => {
  let count = 0;
  for (const command of COMMANDS) {
    const { stdout: help } = await run(process.execPath, [STRATA_BIN, ...command.split(' '), '--help'], { cwd: ROOT });
    const examples = examplesOf(help);
    assert.ok(examples.length >= 1, `strata ${command} --help shows examples`);
    for (const line of examples) {
      const output = await strata(parseExample(line));
      assert.ok(output.trim().length > 0, `${line} printed something`);
      count++;
    }
  }
  assert.ok(count >= 25, `${count} examples`);
});

test('every strata command in the README runs, and none uses an option that does not exist', async () => {
  const readme = readFileSync(`${ROOT}README.md`, 'utf8');
  const blocks = [...readme.matchAll(/```[a-z]*\n([\s\S]*?)```/g)].map((m) => m[1]);
  let count = 0;
  for (const block of blocks) {
    // A block is a shell session: its `export A=b` lines hold for the commands after them.
    const exported: Record<string, string> = {};
    for (const raw of block.split('\n')) {
      const line = raw.replace(/\s+#.*$/, '').trim();
      const exports = /^export\s+(.*)$/.exec(line);
      if (exports) {
        for (const assignment of exports[1].split(/\s+/)) {
          const [name, ...value] = assignment.split('=');
          exported[name] = value.join('=');
        }
        continue;
      }
      // Placeholders (<id>, <file>) stand for what a user's own run produced: their commands' help is checked above.
      if (!/^([A-Z_]+=\S+\s+)*npx strata\s/.test(line) || /[<>]/.test(line)) continue;
      const example = parseExample(line);
      if (['render', 'compare', 'credentials'].includes(example.args[0])) continue; // they need a run's files or keys
      await strata({ env: { ...exported, ...example.env }, args: example.args });
      count++;
    }
  }
  assert.ok(count >= 10, `${count} README commands`);
});

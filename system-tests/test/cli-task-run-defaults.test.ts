// A task's own run defaults (TaskEntry.runDefaults): the radiance tasks run with per-row norm clipping off
// where the run's configuration leaves the clip factor unset, and a flag, the environment or a config file
// still wins. Each case is the real `strata` process with --dry-run, its configuration read from its output.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { STRATA_BIN } from '@strata/cli';

const exec = promisify(execFile);
const RADIANCE = ['--task', 'radiance/voxel-grid', '--task-option', 'procedural=true', '--task-option', 'imageRes=16'];

async function clipFactorOf(args: readonly string[]): Promise<number> {
  const { stdout } = await exec(process.execPath, [STRATA_BIN, ...args, '--dry-run']);
  return JSON.parse(stdout).config.defences.clipFactor;
}

test('strata run: the voxel grid clips no rows unless asked; other tasks keep the configuration default', async () => {
  assert.equal(await clipFactorOf(['run', ...RADIANCE]), 0);
  assert.equal(await clipFactorOf(['run', ...RADIANCE, '--clip-factor', '5']), 5);
  assert.equal(await clipFactorOf(['run']), 10, 'recsys/bpr-mf');
});

test('strata coordinator: the task default under a flag and a config file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-run-defaults-'));
  try {
    const coordinator = ['coordinator', '--regions', 'r1', ...RADIANCE];
    assert.equal(await clipFactorOf(coordinator), 0);
    assert.equal(await clipFactorOf([...coordinator, '--clip-factor', '5']), 5);
    const file = join(dir, 'coordinator.json');
    writeFileSync(file, JSON.stringify({ defences: { clipFactor: 3, updateClipFactor: 2 } }));
    assert.equal(await clipFactorOf([...coordinator, '--config', file]), 3);
    writeFileSync(file, JSON.stringify({ defences: { updateClipFactor: 2 } }));
    assert.equal(await clipFactorOf([...coordinator, '--config', file]), 0, 'a file that sets other defences');
    assert.equal(await clipFactorOf(['coordinator', '--regions', 'r1']), 10, 'recsys/bpr-mf');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

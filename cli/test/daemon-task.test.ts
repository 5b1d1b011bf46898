// The task each daemon builds, with the parts of the run it decides: the coordinator's schedule stretches the
// Gaussian task's density control and its downlink and clipping are checked there; edges and devices, which
// take those from the jobs, build the same task whatever the coordinator's settings, and check their own
// compression.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRunConfig, type RunConfig } from '@strata/shared';
import type { RadianceGaussiansTask } from '@strata/tasks';
import { buildDaemonTask, splitTaskConfig, type DaemonRun } from '../src/flags/daemon-task.js';

const TASK = splitTaskConfig(
  {
    task: 'radiance/gaussians',
    seed: 3,
    taskOptions: { procedural: true, imageRes: 16, devices: 2, initialCount: 50, capacity: 200 },
  },
  false,
).task;

/** The coordinator's run: rounds and κ1 given, the rest the schema's defaults, with what `extra` sets. */
function coordinatorRun(extra: Partial<RunConfig> = {}): DaemonRun {
  const { schedule, downlink, defences } = parseRunConfig({
    schedule: { rounds: 3, kappa1: 2 },
    downlink: { dtype: 'float32', rowFraction: 1, energy: 1 },
    defences: { clipFactor: 0 },
  });
  return { schedule, downlink, defences, ...extra };
}

test("the coordinator's Gaussian task is stretched to its schedule: rounds × devices × κ1 images", async () => {
  const { task, taskOptions } = await buildDaemonTask(TASK, coordinatorRun());
  const gaussians = task as RadianceGaussiansTask;
  assert.equal(gaussians.options.rounds, 3);
  assert.equal(gaussians.options.imagesPerRound, 2 * 2, '2 devices × κ1 2');
  assert.equal(gaussians.schedule.steps, 12);
  assert.equal(taskOptions.rounds, 3, 'the devices read the rounds from each request');
});

test('a coordinator whose downlink or clipping breaks the Gaussian task is refused by name', async () => {
  const lossy = parseRunConfig({}).downlink;
  await assert.rejects(buildDaemonTask(TASK, coordinatorRun({ downlink: lossy })), /needs a lossless downlink .*--downlink float32/);
  const clipping = parseRunConfig({}).defences;
  await assert.rejects(buildDaemonTask(TASK, coordinatorRun({ defences: clipping })), /needs per-row norm clipping off \(--clip-factor 0/);
});

test('edges and devices build the Gaussian task from the jobs, and refuse their own lossy uploads with error feedback', async () => {
  const { task } = await buildDaemonTask(TASK, { compression: parseRunConfig({}).compression });
  assert.equal(task.numDevices, 2);
  assert.ok(task.checkUpdate, 'the edge gets the checks of device updates');
  const lossy = parseRunConfig({ compression: { dtype: 'int8' } }).compression;
  await assert.rejects(buildDaemonTask(TASK, { compression: lossy }), /int8 uploads need errorFeedback off/);
});

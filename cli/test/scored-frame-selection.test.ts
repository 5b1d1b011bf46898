import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ShownFrame } from '@strata/device-client';
import { ScoredFrameSelection } from '../src/view/scored-frame-selection.js';

const frame = (userPose: number): ShownFrame => ({ userPose, contentPose: userPose, latencyMs: 0, rgb: new Float32Array(1) });

test('picks the shown frame closest to each of the evenly spread poses, each once, earlier on a tie', () => {
  const selection = new ScoredFrameSelection(100, 4); // targets 12, 37, 62, 87
  for (const pose of [0, 10, 14, 30, 44, 60, 64, 99]) selection.offer(frame(pose));
  assert.deepEqual(
    selection.frames().map((f) => f.userPose),
    [10, 30, 60, 99],
  );
});

test('a frame closest to several poses is scored once; no frames, nothing scored', () => {
  const selection = new ScoredFrameSelection(100, 4);
  assert.deepEqual(selection.frames(), []);
  selection.offer(frame(50));
  assert.deepEqual(
    selection.frames().map((f) => f.userPose),
    [50],
  );
});

test('a path shorter than the count scores each pose at most once', () => {
  const selection = new ScoredFrameSelection(3, 12);
  for (const pose of [0, 1, 1, 2]) selection.offer(frame(pose));
  assert.deepEqual(
    selection.frames().map((f) => f.userPose),
    [0, 1, 2],
  );
});

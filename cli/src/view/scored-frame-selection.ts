// Which shown frames of a viewing session are scored against the full-quality render: for each of `count`
// poses evenly spread over the camera path, the shown frame whose user pose is closest to it (the earlier one
// on a tie). Chosen while the session plays, so only those frames are held, not every frame shown.

import type { ShownFrame } from '@strata/device-client';

export class ScoredFrameSelection {
  private readonly targets: number[];
  private readonly chosen: (ShownFrame | undefined)[];

  constructor(pathLength: number, count: number) {
    const n = Math.max(0, Math.min(count, pathLength));
    this.targets = Array.from({ length: n }, (_, i) => Math.floor(((i + 0.5) * pathLength) / n));
    this.chosen = new Array<ShownFrame | undefined>(n).fill(undefined);
  }

  offer(frame: ShownFrame): void {
    for (let i = 0; i < this.targets.length; i++) {
      const held = this.chosen[i];
      const target = this.targets[i];
      if (!held || Math.abs(frame.userPose - target) < Math.abs(held.userPose - target)) this.chosen[i] = frame;
    }
  }

  /** The chosen frames, each once, in path order. */
  frames(): ShownFrame[] {
    return [...new Set(this.chosen.filter((frame): frame is ShownFrame => frame !== undefined))];
  }
}

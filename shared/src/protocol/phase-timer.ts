// Where a round's time goes: tiers time their consecutive phases and report seconds by phase (in job
// results, round outcomes), so a bench or an operator can see which step to look at.

/** Seconds by phase name. */
export type PhaseSeconds = Record<string, number>;

/** Times consecutive phases: each lap() charges the time since the previous lap (or construction) to `phase`. */
export class PhaseTimer {
  readonly seconds: PhaseSeconds = {};
  private mark = performance.now();

  lap(phase: string): void {
    const now = performance.now();
    this.seconds[phase] = (this.seconds[phase] ?? 0) + (now - this.mark) / 1000;
    this.mark = now;
  }
}

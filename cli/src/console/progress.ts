// Progress bars for long CLI work (cli-progress). Drawn only on a terminal; on a pipe (CI, logs) the caller's
// per-round lines are the progress.

import cliProgress from 'cli-progress';

export class ProgressBar {
  private readonly bar: cliProgress.SingleBar | undefined;

  constructor(label: string, unit: string) {
    if (!process.stderr.isTTY) return;
    this.bar = new cliProgress.SingleBar(
      { format: `${label} |{bar}| {value}/{total} ${unit} {detail}`, hideCursor: true, clearOnComplete: true, stream: process.stderr },
      cliProgress.Presets.shades_classic,
    );
  }

  start(total: number, detail = ''): void {
    this.bar?.start(total, 0, { detail });
  }

  tick(detail?: string): void {
    this.bar?.increment(1, detail === undefined ? undefined : { detail });
  }

  update(value: number, detail?: string): void {
    this.bar?.update(value, detail === undefined ? undefined : { detail });
  }

  stop(): void {
    this.bar?.stop();
  }
}

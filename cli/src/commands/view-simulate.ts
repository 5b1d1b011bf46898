// `strata view-simulate TOPOLOGY`: the viewing sessions of a topology file's `viewing` section in the
// discrete-event simulator (simulated-view-session.ts): each session's link profile and device CPU, frame costs
// measured with `strata view`, under local, remote and co-rendering; prints the table `strata view` prints
// (without PSNR: the simulator has no images).

import type { Command } from 'commander';
import { loadTopology, simulateViewingSessions } from '@strata/simulator';
import { formatBytes } from '../view/format-bytes.js';

const out = (line: string): void => void process.stdout.write(`${line}\n`);

export function register(program: Command): void {
  program
    .command('view-simulate')
    .description("simulate a topology file's viewing sessions (local, remote, co-rendering) over its link profiles; prints the table")
    .argument('<topology>', 'topology file (YAML or JSON) with a viewing section')
    .action((file: string) => {
      const { topology } = loadTopology(file);
      out('| size | device | link | architecture | m2p median ms | m2p p95 ms | fps shown | bytes/s | poses dropped |');
      out('|---|---|---|---|---|---|---|---|---|');
      for (const row of simulateViewingSessions(topology)) {
        out(
          `| ${row.size}x${row.size} | ${row.device} | ${row.link} | ${row.architecture} | ${row.latencyMedianMs.toFixed(0)} | ` +
            `${row.latencyP95Ms.toFixed(0)} | ${row.fps.toFixed(1)} | ${formatBytes(row.bytesPerSecond)} | ${row.posesDropped} |`,
        );
      }
    });
}

// `strata game`: the engagement game on a recommender trained on the interactions (default ml-100k): producers
// place content in the model's embedding space to maximise engagement under softmax serving at several
// temperatures and under hardmax, by best-response dynamics; prints the equilibria and writes them
// (runs/<id>/game.json) with a report (positions, utilities, convergence).

import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { dataSourceSchema, newRunId, parseConfig } from '@strata/shared';
import { describeRule, interactionSource, loadInteractions, resolveEngagementGameOptions, runEngagementGame } from '@strata/tasks';
import { ProgressBar } from '../console/progress.js';
import { comparisonTable } from '../console/round-table.js';
import { addExamples } from '../console/help-text.js';
import { dataSourceFromFlags, dataSourceOptions } from '../flags/data-flags.js';
import { integerFlag as int } from '../flags/integer-flag.js';
import { renderGameReport } from '../report/index.js';

interface GameFlags {
  producers?: number;
  dim?: number;
  temperatures?: string;
  hardmax: boolean;
  maxSweeps?: number;
  seed?: number;
  runsDir: string;
  report: boolean;
  dryRun?: boolean;
}

export function register(program: Command): void {
  const command = program
    .command('game')
    .description('the engagement game: producers choose content in a learned embedding space under softmax and hardmax serving')
    .option('--producers <n>', 'producers (default 10)', int)
    .option('--dim <n>', 'features: embedding size of the BPR-MF the game is played in (default 16)', int)
    .option('--temperatures <list>', 'softmax temperatures in units of the score deviation σ, comma-separated (default 0.1,0.3,1,3)')
    .option('--no-hardmax', 'leave out hardmax serving')
    .option('--max-sweeps <n>', 'rounds of best responses before giving up (default 100)', int)
    .option('--seed <n>', "seeds the model and the producers' starting positions (default 0)", int)
    .option('--runs-dir <dir>', 'where results go', 'runs')
    .option('--no-report', 'do not write the HTML report')
    .option('--dry-run', 'check the options and load the data, without playing');
  dataSourceOptions(command);
  addExamples(command, ['strata game', 'strata game --producers 5 --temperatures 0.05,0.5,5 --dim 8']);
  command.action(async (flags: GameFlags) => {
    const out = (line: string): void => void process.stdout.write(`${line}\n`);
    const started = performance.now();
    const given: Record<string, unknown> = {
      producers: flags.producers,
      dim: flags.dim,
      temperatures: flags.temperatures?.split(',').map((t) => Number(t.trim())),
      hardmax: flags.hardmax,
      maxSweeps: flags.maxSweeps,
      seed: flags.seed,
    };
    const options = resolveEngagementGameOptions(Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined)));
    const dataConfig = parseConfig(dataSourceSchema, dataSourceFromFlags(flags), 'data options');
    const data = loadInteractions(interactionSource(dataConfig));
    if (flags.dryRun) {
      out(JSON.stringify({ options, data: dataConfig, users: data.numUsers, items: data.numItems }, null, 2));
      return;
    }
    out(`engagement game on ${data.source}: ${options.producers} producers in a ${options.dim}-feature BPR-MF space`);
    const bar = new ProgressBar('step', 'steps');
    let stage = '';
    const result = await runEngagementGame(data, options, (p) => {
      if (p.stage !== stage) {
        bar.stop();
        bar.start(p.total);
        stage = p.stage;
      }
      bar.update(p.done, p.stage === 'model' ? 'training BPR-MF' : `playing ${p.stage}`);
    });
    bar.stop();
    const rows = Object.fromEntries(
      result.outcomes.map((o) => [
        describeRule(o.rule, result.space),
        {
          sweeps: o.sweeps,
          cycle: o.cycleLength,
          specialised: o.specialisation,
          'pure feat.': o.pureFeatureProducers,
          distinct: o.distinctPositions,
          'min engage': o.producerEngagement[o.producerEngagement.length - 1],
          'max engage': o.producerEngagement[0],
          'user util.': o.userUtility,
          'of best': o.userWelfareRatio,
        },
      ]),
    );
    out(comparisonTable(rows, Object.keys(Object.values(rows)[0])));
    out(
      `specialisation of the catalogue's items ${result.catalogueSpecialisation.toFixed(3)}, of users ${result.userSpecialisation.toFixed(3)}; ` +
        `cycle > 0: best responses returned to an earlier state (no pure equilibrium found), figures are means over the cycle`,
    );
    const id = newRunId('engagement-game');
    const dir = resolve(flags.runsDir, id);
    mkdirSync(dir, { recursive: true });
    const wallSeconds = (performance.now() - started) / 1000;
    const record = {
      id,
      source: data.source,
      options,
      space: {
        dim: result.space.dim,
        users: result.space.numUsers,
        candidates: result.space.numCandidates,
        scoreStd: result.space.scoreStd,
      },
      start: result.start,
      catalogueSpecialisation: result.catalogueSpecialisation,
      userSpecialisation: result.userSpecialisation,
      outcomes: result.outcomes.map((o) => ({ serving: describeRule(o.rule, result.space), ...o })),
      modelSeconds: result.modelSeconds,
      wallSeconds,
    };
    writeFileSync(join(dir, 'game.json'), `${JSON.stringify(record, null, 2)}\n`);
    out(`wall time ${wallSeconds.toFixed(1)} s; results ${join(dir, 'game.json')}`);
    if (flags.report) {
      const path = join(dir, 'report.html');
      writeFileSync(path, renderGameReport(result, { id, source: data.source, wallSeconds }));
      out(`report ${path}`);
    }
  });
}

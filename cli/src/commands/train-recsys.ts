// `strata train recsys`: centralized training of a recommender (BPR-MF, NeuMF with tfjs, LightGCN, KGAT or
// SASRec) on an interaction file (default ml-100k) with the same split and evaluation as the federated tasks (a
// seeded 80/20 split, or leave-one-out by timestamp, SASRec's protocol, where BPR-MF trains on the same split
// beside it); prints a line per evaluated epoch and writes a run record (mode centralized) with its report.
// LIRD is measured in its user simulator instead (cumulative list-wise reward, beside BPR-MF's and popularity's
// greedy lists, with the simulator's fidelity on held-out ratings).

import { hostname, cpus } from 'node:os';
import { resolve } from 'node:path';
import { type Command, Option } from 'commander';
import {
  ConfigError,
  type DataSourceConfig,
  dataSourceSchema,
  newRunId,
  parseConfig,
  type RoundRecord,
  type RunRecord,
} from '@strata/shared';
import { writeRunRecord } from '@strata/runtime';
import {
  CentralizedBprTrainer,
  DEFAULT_CENTRALIZED_BPR_OPTIONS,
  LEAVE_ONE_OUT_BPR_OPTIONS,
  resolveCentralizedLightGcnOptions,
  NeuMFCentralizedTrainer,
  Popularity,
  SasrecCentralizedTrainer,
  centralizedKgat,
  centralizedLightGcn,
  splitLeaveOneOut,
  evaluateRanking,
  loadConfiguredKnowledgeGraph,
  type KnowledgeGraph,
  initTfjsBackend,
  loadInteractions,
  splitPerUser,
  LirdCentralizedTrainer,
  LirdEnvironment,
  resolveLirdOptions,
  type Interactions,
  type LirdOptions,
  type SequenceSplit,
  type UserSplit,
} from '@strata/tasks';
import { dataSourceFromFlags, dataSourceOptions } from '../flags/data-flags.js';
import { ProgressBar } from '../console/progress.js';
import { comparisonTable } from '../console/round-table.js';
import { interactionSource } from '@strata/tasks';
import { addExamples } from '../console/help-text.js';
import { writeRunReport } from '../report/index.js';
import { integerFlag as int } from '../flags/integer-flag.js';
import { collectKeyValue, type OptionValue } from '../flags/parse-key-values.js';

interface TrainRecsysFlags {
  model: 'bpr-mf' | 'neumf' | 'sasrec' | 'lird' | 'lightgcn' | 'kgat';
  split?: 'random' | 'leave-one-out';
  knowledgeGraph: boolean;
  epochs?: number;
  dim?: number;
  lr?: number;
  reg?: number;
  threads?: number;
  engine: 'tfjs' | 'kernel';
  seed: number;
  evalEvery: number;
  runsDir: string;
  report: boolean;
  dryRun?: boolean;
  taskOption?: Record<string, OptionValue>;
}

/** One epoch as every centralized trainer reports it. */
interface EpochReport {
  epoch: number;
  loss: number;
  seconds: number;
  /** Training examples (triples or samples) per second. */
  rate: number;
  metrics?: Record<string, number>;
}

interface TrainingOutcome {
  label: string;
  config: Record<string, unknown>;
  environment: Record<string, unknown>;
  metrics: Record<string, number>;
  /** Other models trained on the same split, for the comparison table. */
  baselines?: Record<string, Record<string, number>>;
}

const d = DEFAULT_CENTRALIZED_BPR_OPTIONS;
const g = resolveCentralizedLightGcnOptions();

export function register(train: Command): void {
  const command = train
    .command('recsys')
    .description('centralized recommender training (full-ranking Recall/NDCG/Hit/MRR @10/@20 on a held-out split)')
    .addOption(
      new Option('--model <name>', 'model to train').choices(['bpr-mf', 'neumf', 'sasrec', 'lird', 'lightgcn', 'kgat']).default('bpr-mf'),
    )
    .addOption(
      new Option(
        '--split <kind>',
        "held-out split: a seeded 80/20 per user, or each user's latest interaction (default: sasrec leave-one-out)",
      ).choices(['random', 'leave-one-out']),
    )
    .option(
      '--epochs <n>',
      `passes over the training interactions (default: bpr-mf ${d.epochs}, neumf 4, sasrec 30, lightgcn and kgat ${g.epochs})`,
      int,
    )
    .option('--dim <n>', `bpr-mf, sasrec, lightgcn, kgat: embedding size (default: ${d.dim}, sasrec 50)`, int)
    .option(
      '--lr <x>',
      `bpr-mf, sasrec, lightgcn, kgat: learning rate (default ${d.learningRate}, sasrec 0.004, graph models' Adam ${g.learningRate})`,
      Number.parseFloat,
    )
    .option('--reg <x>', `bpr-mf, lightgcn, kgat: L2 regularisation (default ${d.reg}, graph models ${g.reg})`, Number.parseFloat)
    .option('--no-knowledge-graph', "kgat: train without the data set's knowledge graph (the ablation)")
    .option('--threads <n>', 'bpr-mf: worker threads (default: one per core; 1 is deterministic)', int)
    .addOption(new Option('--engine <name>', 'neumf: tfjs layers, or the hand-written kernel').choices(['tfjs', 'kernel']).default('tfjs'))
    .option('--seed <n>', 'random seed (split, initialisation, sampling)', int, 0)
    .option('--eval-every <n>', 'evaluate every n epochs (0: only at the end)', int, 5)
    .option('--runs-dir <dir>', 'where run records go', 'runs')
    .option('--no-report', 'do not write the HTML report')
    .option('--dry-run', 'load the data and print what would train, without training')
    .option(
      '--task-option <key=value>',
      'lird: any option of recsys/lird (`strata tasks` lists them), repeatable; --epochs, --dim (embeddingDim) and --lr (actorLearningRate) too',
      collectKeyValue('--task-option'),
    );
  dataSourceOptions(command);
  addExamples(command, [
    'strata train recsys',
    'strata train recsys --epochs 20 --dim 32 --threads 1',
    'strata train recsys --model neumf --epochs 4',
    'strata train recsys --model sasrec',
    'strata train recsys --model bpr-mf --split leave-one-out',
    'strata train recsys --model lird',
    'strata train recsys --model lird --epochs 4 --task-option listSize=4 --task-option episodeLength=10',
    'strata train recsys --model lightgcn --eval-every 10',
    'strata train recsys --model kgat --no-knowledge-graph',
    'strata train recsys --data ../shared/data/ml-100k/ml-100k.inter --format delimited --delimiter tab --header ' +
      '--columns user_id:token,item_id:token,rating:float --min-rating 4',
  ]);
  command.action(async (flags: TrainRecsysFlags) => {
    const out = (line: string): void => void process.stdout.write(`${line}\n`);
    const started = performance.now();
    if (flags.model !== 'lird' && flags.taskOption) throw new ConfigError('--task-option applies to --model lird');
    const splitKind = flags.split ?? (flags.model === 'sasrec' ? 'leave-one-out' : 'random');
    if (flags.model === 'sasrec' && splitKind !== 'leave-one-out') throw new ConfigError('--model sasrec needs --split leave-one-out');
    const dataConfig = parseConfig(dataSourceSchema, dataSourceFromFlags(flags), 'data options');
    const data = loadInteractions(interactionSource(dataConfig));
    if (data.skippedRows) out(`skipped ${data.skippedRows} unreadable rows of ${data.source}`);
    // LIRD's options are checked before a dry run returns, like every other model's.
    const lirdOptions = flags.model === 'lird' ? lirdOptionsFromFlags(flags) : undefined;
    if (lirdOptions && !data.ratings) throw new ConfigError(`--model lird needs ratings: ${data.source} has no rating column`);
    if (flags.dryRun) {
      out(
        JSON.stringify(
          { model: flags.model, data: dataConfig, users: data.numUsers, items: data.numItems, interactions: data.users.length },
          null,
          2,
        ),
      );
      return;
    }
    if (lirdOptions) {
      await trainLird(data, dataConfig, lirdOptions, flags, out, started);
      return;
    }
    const split = splitKind === 'leave-one-out' ? splitLeaveOneOut(data) : splitPerUser(data, { seed: flags.seed, testFraction: 0.2 });
    const headline = splitKind === 'leave-one-out' ? ['hit@10', 'ndcg@10'] : ['recall@20', 'ndcg@20'];
    out(`centralized ${flags.model} on ${data.source}: ${data.numUsers} users, ${data.numItems} items, ${data.users.length} interactions`);
    const rounds: RoundRecord[] = [];
    const bar = new ProgressBar('epoch', 'epochs');
    let total = 0;
    const onEpoch = (p: EpochReport): void => {
      bar.tick(`loss ${p.loss.toFixed(4)}`);
      rounds.push({
        round: p.epoch,
        wallSeconds: p.seconds,
        bytes: { deviceEdge: 0, edgeCloud: 0 },
        metrics: { loss: p.loss, ...(p.metrics ?? {}) },
        examplesPerSecond: p.rate,
      });
      if (!p.metrics) return;
      bar.stop();
      out(
        `epoch ${p.epoch}: loss ${p.loss.toFixed(4)}, ${headline.map((name) => `${name} ${p.metrics?.[name].toFixed(4)}`).join(', ')}, ` +
          `${Math.round(p.rate).toLocaleString('en')} examples/s`,
      );
      if (p.epoch < total) {
        bar.start(total);
        bar.update(p.epoch);
      }
    };
    const start = (epochs: number): void => {
      total = epochs;
      bar.start(epochs);
    };
    const outcome =
      flags.model === 'neumf'
        ? await trainNeuMF(split, flags, start, onEpoch, (done, detail) => bar.update(done, detail))
        : flags.model === 'sasrec'
          ? await trainSasrec(split as SequenceSplit, flags, start, onEpoch)
          : flags.model === 'lightgcn' || flags.model === 'kgat'
            ? await trainGraphModel(split, flags, start, onEpoch, () => loadConfiguredKnowledgeGraph(dataConfig, data))
            : await trainBprMf(split, splitKind === 'leave-one-out', flags, start, onEpoch);
    bar.stop();
    const popularity = evaluateRanking(split, new Popularity(split).scoreUser);
    const wallSeconds = (performance.now() - started) / 1000;
    const record: RunRecord = {
      id: newRunId(`recsys-${flags.model}-centralized`),
      task: `recsys/${flags.model}`,
      mode: 'centralized',
      startedAt: new Date(Date.now() - wallSeconds * 1000).toISOString(),
      config: {
        ...outcome.config,
        data: dataConfig,
        source: data.source,
        ...(splitKind === 'random' ? { testFraction: 0.2 } : { split: 'leave-one-out by timestamp' }),
        seed: flags.seed,
      },
      environment: { node: process.version, host: hostname(), cpus: cpus().length, platform: process.platform, ...outcome.environment },
      rounds,
      final: { metrics: outcome.metrics, wallSeconds },
      baselines: { ...outcome.baselines, popularity },
    };
    const runDir = writeRunRecord(resolve(flags.runsDir), record);
    const columns =
      splitKind === 'leave-one-out'
        ? ['hit@10', 'ndcg@10', 'hit@20', 'ndcg@20', 'mrr@20']
        : ['recall@10', 'recall@20', 'ndcg@20', 'hit@20', 'mrr@20'];
    out(comparisonTable({ [outcome.label]: outcome.metrics, ...outcome.baselines, popularity }, columns));
    out(`wall time ${wallSeconds.toFixed(1)} s; run record ${runDir}/run.json`);
    if (flags.report) out(`report ${writeRunReport(runDir, record)}`);
  });
}

async function trainBprMf(
  split: UserSplit,
  leaveOneOut: boolean,
  flags: TrainRecsysFlags,
  start: (epochs: number) => void,
  onEpoch: (p: EpochReport) => void,
): Promise<TrainingOutcome> {
  const trainer = new CentralizedBprTrainer(split, {
    ...(leaveOneOut ? LEAVE_ONE_OUT_BPR_OPTIONS : {}),
    seed: flags.seed,
    evaluateEvery: flags.evalEvery,
    ...(flags.epochs !== undefined ? { epochs: flags.epochs } : {}),
    ...(flags.dim !== undefined ? { dim: flags.dim } : {}),
    ...(flags.lr !== undefined ? { learningRate: flags.lr } : {}),
    ...(flags.reg !== undefined ? { reg: flags.reg } : {}),
    ...(flags.threads !== undefined ? { threads: flags.threads } : {}),
  });
  start(trainer.options.epochs);
  const model = await trainer.train((p) => onEpoch({ ...p, rate: p.triplesPerSecond }));
  return {
    label: 'centralized BPR-MF',
    config: { model: 'bpr-mf', ...trainer.options },
    environment: {},
    metrics: evaluateRanking(split, model.scoreUser),
  };
}

async function trainGraphModel(
  split: UserSplit,
  flags: TrainRecsysFlags,
  start: (epochs: number) => void,
  onEpoch: (p: EpochReport) => void,
  knowledgeGraph: () => KnowledgeGraph,
): Promise<TrainingOutcome> {
  if (flags.threads !== undefined) throw new ConfigError(`--threads applies to --model bpr-mf, not ${flags.model}`);
  const options = {
    evaluateEvery: flags.evalEvery,
    ...(flags.epochs !== undefined ? { epochs: flags.epochs } : {}),
    ...(flags.dim !== undefined ? { dim: flags.dim } : {}),
    ...(flags.lr !== undefined ? { learningRate: flags.lr } : {}),
    ...(flags.reg !== undefined ? { reg: flags.reg } : {}),
  };
  const kgat = flags.model === 'kgat';
  if (!kgat && !flags.knowledgeGraph) throw new ConfigError('--no-knowledge-graph applies to --model kgat');
  const trainer = kgat
    ? centralizedKgat(split, knowledgeGraph(), { ...options, knowledgeGraph: flags.knowledgeGraph }, flags.seed)
    : centralizedLightGcn(split, options, flags.seed);
  start(trainer.options.epochs);
  const model = await trainer.train((p) => onEpoch({ ...p, rate: p.triplesPerSecond }));
  return {
    label: kgat ? `centralized KGAT${flags.knowledgeGraph ? '' : ' without the KG'}` : 'centralized LightGCN',
    config: { model: flags.model, ...trainer.options },
    environment: {},
    metrics: evaluateRanking(split, model.scoreUser),
  };
}

async function trainNeuMF(
  split: UserSplit,
  flags: TrainRecsysFlags,
  start: (epochs: number) => void,
  onEpoch: (p: EpochReport) => void,
  within: (epochsDone: number, detail: string) => void,
): Promise<TrainingOutcome> {
  for (const flag of ['dim', 'lr', 'reg', 'threads'] as const) {
    if (flags[flag] !== undefined) throw new ConfigError(`--${flag} applies to --model bpr-mf or sasrec, not neumf`);
  }
  const backend = await initTfjsBackend();
  const trainer = new NeuMFCentralizedTrainer(split, {
    seed: flags.seed,
    engine: flags.engine,
    evaluateEvery: flags.evalEvery,
    ...(flags.epochs !== undefined ? { epochs: flags.epochs } : {}),
  });
  start(trainer.epochs);
  const result = trainer.train(
    (p) => onEpoch({ ...p, rate: p.samplesPerSecond }),
    (epoch, done, samples) =>
      within(epoch - 1, `epoch ${epoch}: ${Math.round((100 * done) / samples)}% of ${samples.toLocaleString('en')} samples`),
  );
  return {
    label: 'centralized NeuMF',
    config: { model: 'neumf', engine: trainer.engineName, epochs: trainer.epochs, batchSize: trainer.batchSize, ...trainer.config },
    environment: { tfjsBackend: backend.backend, tfjsNative: backend.native },
    metrics: result.metrics,
  };
}

/** SASRec, then BPR-MF (with its leave-one-out settings) on the same split as the comparison. */
async function trainSasrec(
  split: SequenceSplit,
  flags: TrainRecsysFlags,
  start: (epochs: number) => void,
  onEpoch: (p: EpochReport) => void,
): Promise<TrainingOutcome> {
  for (const flag of ['reg', 'threads'] as const) {
    if (flags[flag] !== undefined) throw new ConfigError(`--${flag} applies to --model bpr-mf, not sasrec`);
  }
  const trainer = new SasrecCentralizedTrainer(
    split,
    {
      seed: flags.seed,
      ...(flags.epochs !== undefined ? { epochs: flags.epochs } : {}),
      ...(flags.dim !== undefined ? { dim: flags.dim } : {}),
      ...(flags.lr !== undefined ? { learningRate: flags.lr } : {}),
    },
    flags.evalEvery,
  );
  start(trainer.options.epochs);
  const model = trainer.train((p) => onEpoch({ ...p, rate: p.positionsPerSecond }));
  const bpr = await new CentralizedBprTrainer(split, { ...LEAVE_ONE_OUT_BPR_OPTIONS, seed: flags.seed, threads: 1 }).train();
  return {
    label: 'centralized SASRec',
    config: { model: 'sasrec', ...trainer.options },
    environment: {},
    metrics: evaluateRanking(split, model.scoreUser),
    baselines: { 'centralized BPR-MF': evaluateRanking(split, bpr.scoreUser) },
  };
}

/** recsys/lird's options from --task-option and the common flags, checked by its schema. */
function lirdOptionsFromFlags(flags: TrainRecsysFlags): LirdOptions {
  for (const flag of ['reg', 'threads', 'split'] as const) {
    if (flags[flag] !== undefined) throw new ConfigError(`--${flag} does not apply to --model lird`);
  }
  return resolveLirdOptions({
    ...flags.taskOption,
    seed: flags.seed,
    ...(flags.epochs !== undefined ? { epochs: flags.epochs } : {}),
    ...(flags.dim !== undefined ? { embeddingDim: flags.dim } : {}),
    ...(flags.lr !== undefined ? { actorLearningRate: flags.lr } : {}),
  });
}

/**
 * LIRD in its user simulator: the simulator's fidelity, centralized LIRD (an epoch is one exploring episode per
 * user, evaluated by one greedy episode per user every --eval-every epochs), and BPR-MF's and popularity's greedy
 * lists in the same simulator, compared by cumulative list-wise reward.
 */
async function trainLird(
  data: Interactions,
  dataConfig: DataSourceConfig,
  options: LirdOptions,
  flags: TrainRecsysFlags,
  out: (line: string) => void,
  started: number,
): Promise<void> {
  out(`centralized lird on ${data.source}: ${data.numUsers} users, ${data.numItems} items, ${data.users.length} ratings`);
  const environment = await LirdEnvironment.build(data, options);
  const fidelity = environment.fidelity();
  out(
    `simulator on ${fidelity.count} held-out ratings: RMSE ${fidelity.rmse.toFixed(3)} (user mean ${fidelity.userMeanRmse.toFixed(3)}, ` +
      `global mean ${fidelity.globalMeanRmse.toFixed(3)}), rounded rating exact ${fidelity.accuracy.toFixed(3)}, ` +
      `positive or not ${fidelity.positiveAccuracy.toFixed(3)}`,
  );
  const rounds: RoundRecord[] = [];
  const bar = new ProgressBar('epoch', 'epochs');
  bar.start(options.epochs);
  const weights = new LirdCentralizedTrainer(environment).train((p) => {
    const evaluate = p.epoch === p.epochs || (flags.evalEvery > 0 && p.epoch % flags.evalEvery === 0);
    const reward = evaluate ? environment.meanReward(environment.actorPolicy(p.weights)) : undefined;
    rounds.push({
      round: p.epoch,
      wallSeconds: p.seconds,
      bytes: { deviceEdge: 0, edgeCloud: 0 },
      metrics: { loss: p.criticLoss, trainingReward: p.trainingReward, ...(reward !== undefined ? { reward } : {}) },
      examplesPerSecond: p.steps / p.seconds,
    });
    bar.tick(`exploring reward ${p.trainingReward.toFixed(3)}`);
    if (reward === undefined) return;
    bar.stop();
    out(
      `epoch ${p.epoch}: critic loss ${p.criticLoss.toFixed(4)}, reward ${reward.toFixed(3)}, ` +
        `${(p.episodes / p.seconds).toFixed(1)} episodes/s (${Math.round(p.steps / p.seconds)} steps/s)`,
    );
    if (p.epoch < p.epochs) {
      bar.start(p.epochs);
      bar.update(p.epoch);
    }
  });
  bar.stop();
  const metrics = { reward: environment.meanReward(environment.actorPolicy(weights)) };
  const baselines = Object.fromEntries(Object.entries(environment.baselineRewards()).map(([name, reward]) => [name, { reward }]));
  const wallSeconds = (performance.now() - started) / 1000;
  const record: RunRecord = {
    id: newRunId('recsys-lird-centralized'),
    task: 'recsys/lird',
    mode: 'centralized',
    startedAt: new Date(Date.now() - wallSeconds * 1000).toISOString(),
    config: { model: 'lird', ...options, data: dataConfig, source: data.source, seed: flags.seed },
    environment: {
      node: process.version,
      host: hostname(),
      cpus: cpus().length,
      platform: process.platform,
      simulatorFidelity: { ...fidelity },
    },
    rounds,
    final: { metrics, wallSeconds },
    baselines,
  };
  const runDir = writeRunRecord(resolve(flags.runsDir), record);
  out(comparisonTable({ 'centralized LIRD': metrics, ...baselines }, ['reward']));
  out(`wall time ${wallSeconds.toFixed(1)} s; run record ${runDir}/run.json`);
  if (flags.report) out(`report ${writeRunReport(runDir, record)}`);
}

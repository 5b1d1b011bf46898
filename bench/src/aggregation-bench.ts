// Aggregation throughput: FedAvg over dense updates against the speed of copying the same bytes with
// Float32Array.prototype.set (measured in the same process, so the ratio means something on a busy
// machine), a naive one-update-at-a-time loop for reference, and FedAvg over sparse embedding-row updates.
// Figures, not pass/fail. Usage:
//   node bench/dist/src/aggregation-bench.js [--updates 32] [--params 4194304] [--runs 7]
//     [--table-rows 100000] [--row-size 64] [--row-fraction 0.05]

import { parseArgs } from 'node:util';
import { cpus } from 'node:os';
import { dense, FedAvg, SeededRandom, type ModelUpdate, type SparseRows } from '@strata/shared';

const { values: args } = parseArgs({
  options: {
    updates: { type: 'string', default: '32' },
    params: { type: 'string', default: String(4 * 1024 * 1024) },
    runs: { type: 'string', default: '7' },
    'table-rows': { type: 'string', default: '100000' },
    'row-size': { type: 'string', default: '64' },
    'row-fraction': { type: 'string', default: '0.05' },
  },
});
const updateCount = Number(args.updates);
const params = Number(args.params);
const runs = Number(args.runs);
const tableRows = Number(args['table-rows']);
const rowWidth = Number(args['row-size']);
const rowFraction = Number(args['row-fraction']);
const WARMUP_RUNS = 2;

/** Median wall time in seconds of `runs` calls after WARMUP_RUNS unmeasured ones. */
function medianSeconds(run: () => void): number {
  for (let i = 0; i < WARMUP_RUNS; i++) run();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    run();
    times.push(Number(process.hrtime.bigint() - start) / 1e9);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

const MB = 1e6;
const random = new SeededRandom(20260101);

function randomValues(n: number): Float32Array {
  const values = new Float32Array(n);
  for (let i = 0; i < n; i++) values[i] = random.next() - 0.5;
  return values;
}

/** Each update touches a random `rowFraction` of the table's rows, with a row weight for each. */
function sparseTable(): SparseRows {
  const rowsPerUpdate = Math.round(tableRows * rowFraction);
  const all = new Uint32Array(tableRows);
  for (let r = 0; r < tableRows; r++) all[r] = r;
  const rows = random.shuffle(all).slice(0, rowsPerUpdate).sort();
  const rowWeights = new Float32Array(rowsPerUpdate);
  for (let i = 0; i < rowsPerUpdate; i++) rowWeights[i] = 1 + random.int(20);
  return { kind: 'sparse', shape: [tableRows, rowWidth], rows, values: randomValues(rowsPerUpdate * rowWidth), rowWeights };
}

/** What "naive" means here: one pass over the accumulator per update, then one to scale. */
function naiveWeightedMean(inputs: readonly Float32Array[], weights: readonly number[]): Float32Array {
  const acc = new Float32Array(inputs[0].length);
  let total = 0;
  for (const [k, input] of inputs.entries()) {
    const w = weights[k];
    total += w;
    for (let i = 0; i < input.length; i++) acc[i] += w * input[i];
  }
  for (let i = 0; i < acc.length; i++) acc[i] /= total;
  return acc;
}

const fedAvg = new FedAvg();
const inputs = Array.from({ length: updateCount }, () => randomValues(params));
const weights = inputs.map((_, k) => 10 + k);
const updates: ModelUpdate[] = inputs.map((values, k) => ({
  delta: new Map([['weights', dense([params], values)]]),
  weight: weights[k],
  metrics: { loss: 1 },
}));
const denseBytes = updateCount * params * 4;
const copyTarget = new Float32Array(params);

const copySeconds = medianSeconds(() => {
  for (const input of inputs) copyTarget.set(input);
});
const fedAvgSeconds = medianSeconds(() => fedAvg.aggregate(updates));
const naiveSeconds = medianSeconds(() => naiveWeightedMean(inputs, weights));

const tables = Array.from({ length: updateCount }, sparseTable);
const sparse: ModelUpdate[] = tables.map((table, k) => ({ delta: new Map([['items', table]]), weight: 10 + k, metrics: {} }));
let sparseBytes = 0;
for (const t of tables) sparseBytes += t.values.byteLength + t.rows.byteLength + (t.rowWeights?.byteLength ?? 0);
const sparseSeconds = medianSeconds(() => fedAvg.aggregate(sparse));

const rate = (bytes: number, seconds: number): string => `${(bytes / MB / seconds).toFixed(0)} MB/s`;
console.log(
  `aggregation bench: node ${process.version}, ${cpus().length} x ${cpus()[0]?.model ?? 'unknown cpu'}; ` +
    `median of ${runs} runs after ${WARMUP_RUNS} warm-up`,
);
console.log(`dense: ${updateCount} updates x ${params} float32 (${(denseBytes / MB).toFixed(0)} MB of updates)`);
console.log(`  Float32Array.set copy   ${(copySeconds * 1e3).toFixed(1)} ms  ${rate(denseBytes, copySeconds)}`);
console.log(
  `  FedAvg aggregate        ${(fedAvgSeconds * 1e3).toFixed(1)} ms  ${rate(denseBytes, fedAvgSeconds)}  ` +
    `ratio to copy ${(copySeconds / fedAvgSeconds).toFixed(3)}`,
);
console.log(
  `  naive loop (reference)  ${(naiveSeconds * 1e3).toFixed(1)} ms  ${rate(denseBytes, naiveSeconds)}  ` +
    `ratio to copy ${(copySeconds / naiveSeconds).toFixed(3)}`,
);
console.log(
  `sparse: ${updateCount} updates x ${Math.round(tableRows * rowFraction)} rows of a ${tableRows} x ${rowWidth} ` +
    `table, with row weights (${(sparseBytes / MB).toFixed(1)} MB of updates)`,
);
console.log(`  FedAvg aggregate        ${(sparseSeconds * 1e3).toFixed(1)} ms  ${rate(sparseBytes, sparseSeconds)}`);

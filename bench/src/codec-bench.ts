// Wire codec throughput: encoding a 4M-parameter update into an Envelope frame and decoding it back, for
// every dtype and top-k sparsification (encoding as devices send updates, encodeUpdateFrame: the same bytes
// as encodeEnvelope(encodeUpdate(...)), payloads computed straight into the frame; decoding as edges read
// them, decodeUpdate(decodeEnvelope(...))), as MB/s of float32 input and as a ratio to copying the same bytes with
// Float32Array.prototype.set in the same process (so the ratio means something on a busy machine): each timed run
// against a copy timed just before it, and the median of those ratios (the machine's speed drifts between
// batches; neighbours share it). The codecs are the native ones where the build compiled them
// (shared/native; the header says which), the WebAssembly kernels otherwise or with STRATA_NATIVE_CODECS=0.
// Timings are medians with garbage collected before each run: wall time, and beside it the process's CPU time
// (user + system, every thread), which on a shared, loaded machine is the closer measure of what the code
// costs (wall time there also counts the time other processes hold the core), and the ratio of the fastest
// runs (other processes only ever add time; CPU time also counts V8's helper threads). Figures, not
// pass/fail. Usage:
//   node bench/dist/src/codec-bench.js [--params 4194304] [--runs 9] [--row-fraction 0.1] [--only 'float16']
// --only runs the named cases alone (repeat it for several): a case's figures depend on the cases before it in
// the same process (on a loaded machine float32's enc+dec ratio went from 0.08 as the first case to 0.65 after
// float16), so a case alone in a fresh process is the cleaner comparison.

import { parseArgs } from 'node:util';
import { cpus, loadavg } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import {
  decodeEnvelope,
  decodeUpdate,
  encodeUpdateFrame,
  nativeCodecs,
  SeededRandom,
  type ModelUpdate,
  type TensorEncoding,
  type TensorValue,
} from '@strata/shared';

const { values: args } = parseArgs({
  options: {
    params: { type: 'string', default: String(4 * 1024 * 1024) },
    runs: { type: 'string', default: '9' },
    'row-fraction': { type: 'string', default: '0.1' },
    only: { type: 'string', multiple: true },
  },
});
const params = Number(args.params);
const runs = Number(args.runs);
const rowFraction = Number(args['row-fraction']);
const WARMUP_RUNS = 3;
const ROW_WIDTH = 64;
const MB = 1e6;

// Every run allocates frames of megabytes; collecting the previous runs' garbage before each timed run
// (for the copies too) keeps a collection that earlier runs caused out of the run being timed.
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

interface Timing {
  /** Median wall time in seconds of the timed runs. */
  readonly median: number;
  /** Median CPU time in seconds of the timed runs (user + system, all of the process's threads). */
  readonly cpu: number;
  /** Median minor page faults of a run: fresh memory touched for the first time, 4 KiB a fault. */
  readonly faults: number;
  /** Shortest wall time of the timed runs: on a shared machine the run least delayed by other processes. */
  readonly fastest: number;
  /** The same three figures for the copy timed just before each run. */
  readonly copy: { readonly median: number; readonly cpu: number; readonly fastest: number };
  /** Median over the runs of (the copy's wall time / the run's): each run against the copy beside it. */
  readonly ratio: number;
}

interface Measured {
  readonly wall: number;
  readonly cpu: number;
  readonly faults: number;
}

function measure(run: () => void): Measured {
  collectGarbage();
  const faultsStart = process.resourceUsage().minorPageFault;
  const cpuStart = process.cpuUsage();
  const start = process.hrtime.bigint();
  run();
  const wall = Number(process.hrtime.bigint() - start) / 1e9;
  const cpu = process.cpuUsage(cpuStart);
  return { wall, cpu: (cpu.user + cpu.system) / 1e6, faults: process.resourceUsage().minorPageFault - faultsStart };
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/**
 * `runs` timed calls of `run` after WARMUP_RUNS unmeasured ones, each right after a timed `copy`: on a shared
 * machine whose speed drifts from second to second, a ratio of neighbours is steadier than a ratio of medians
 * taken minutes apart.
 */
function timeRuns(run: () => void, copy: () => void): Timing {
  for (let i = 0; i < WARMUP_RUNS; i++) {
    copy();
    run();
  }
  const copies: Measured[] = [];
  const timed: Measured[] = [];
  for (let i = 0; i < runs; i++) {
    copies.push(measure(copy));
    timed.push(measure(run));
  }
  const wall = timed.map((m) => m.wall);
  const copyWall = copies.map((m) => m.wall);
  return {
    median: median(wall),
    cpu: median(timed.map((m) => m.cpu)),
    faults: median(timed.map((m) => m.faults)),
    fastest: Math.min(...wall),
    copy: { median: median(copyWall), cpu: median(copies.map((m) => m.cpu)), fastest: Math.min(...copyWall) },
    ratio: median(copyWall.map((c, i) => c / wall[i])),
  };
}

const random = new SeededRandom(20260102);
function normals(n: number, sigma: number): Float32Array {
  const values = new Float32Array(n);
  for (let i = 0; i < n; i++) values[i] = sigma * random.normal();
  return values;
}

// A dense update shaped like a small model: a weight matrix and an embedding table, half the parameters each.
const tableRows = Math.floor(params / 2 / ROW_WIDTH);
const matrixRows = Math.floor((params - tableRows * ROW_WIDTH) / 1024);
const denseUpdate: ModelUpdate = {
  delta: new Map<string, TensorValue>([
    ['dense.weight', { kind: 'dense', shape: [matrixRows, 1024], values: normals(matrixRows * 1024, 0.01) }],
    ['embedding', { kind: 'dense', shape: [tableRows, ROW_WIDTH], values: normals(tableRows * ROW_WIDTH, 0.01) }],
  ]),
  weight: 100,
  metrics: { loss: 0.5 },
};
// A sparse update: rowFraction of the rows of one embedding table holding all the parameters.
const fullRows = Math.floor(params / ROW_WIDTH);
const sentRows = random
  .shuffle(Uint32Array.from({ length: fullRows }, (_, i) => i))
  .slice(0, Math.round(fullRows * rowFraction))
  .sort();
const sparseUpdate: ModelUpdate = {
  delta: new Map<string, TensorValue>([
    [
      'embedding',
      {
        kind: 'sparse',
        shape: [fullRows, ROW_WIDTH],
        rows: sentRows,
        values: normals(sentRows.length * ROW_WIDTH, 0.01),
        rowWeights: Float32Array.from(sentRows, () => 1 + random.int(20)),
      },
    ],
  ]),
  weight: 100,
  metrics: { loss: 0.5 },
};

interface Case {
  readonly label: string;
  readonly update: ModelUpdate;
  readonly encoding: TensorEncoding;
}
const allCases: Case[] = [
  { label: 'float32', update: denseUpdate, encoding: { dtype: 'float32' } },
  { label: 'float16', update: denseUpdate, encoding: { dtype: 'float16' } },
  { label: 'int8 per tensor', update: denseUpdate, encoding: { dtype: 'int8', perRowScale: false } },
  { label: 'int8 per row', update: denseUpdate, encoding: { dtype: 'int8', perRowScale: true } },
  { label: `sparse ${Math.round(rowFraction * 100)}% float32`, update: sparseUpdate, encoding: { dtype: 'float32' } },
  { label: 'top-1% float32', update: denseUpdate, encoding: { dtype: 'float32', topKFraction: 0.01 } },
  { label: 'top-1% float16', update: denseUpdate, encoding: { dtype: 'float16', topKFraction: 0.01 } },
];

const encode = ({ update, encoding }: Case): Uint8Array =>
  encodeUpdateFrame('device-1', update, { roundId: 'round-1', baseVersion: 1, ...encoding });
const decode = (frame: Uint8Array): ModelUpdate => decodeUpdate(decodeEnvelope(frame).update).update;

function inputOf(update: ModelUpdate): Float32Array {
  const parts = [...update.delta.values()].map((t) => t.values);
  const all = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    all.set(p, offset);
    offset += p.length;
  }
  return all;
}

const only = args.only ?? [];
const unknown = only.filter((label) => !allCases.some((c) => c.label === label));
if (unknown.length > 0) {
  throw new Error(
    `--only: no case named ${unknown.map((l) => `'${l}'`).join(', ')} (cases: ${allCases.map((c) => `'${c.label}'`).join(', ')})`,
  );
}
const cases = only.length > 0 ? allCases.filter((c) => only.includes(c.label)) : allCases;

interface Row {
  readonly label: string;
  readonly inputBytes: number;
  readonly frameBytes: number;
  readonly encode: Timing;
  readonly decode: Timing;
  readonly both: Timing;
}

const rows: Row[] = cases.map((c) => {
  const input = inputOf(c.update);
  const target = new Float32Array(input.length);
  const copy = (): void => target.set(input);
  let frame = encode(c);
  const encodeTiming = timeRuns(() => {
    frame = encode(c);
  }, copy);
  const decodeTiming = timeRuns(() => decode(frame), copy);
  const both = timeRuns(() => decode(encode(c)), copy);
  return { label: c.label, inputBytes: input.byteLength, frameBytes: frame.byteLength, encode: encodeTiming, decode: decodeTiming, both };
});

const rate = (bytes: number, seconds: number): string => `${(bytes / MB / seconds).toFixed(0)}`;
const pad = (s: string, n: number): string => s.padStart(n);
const cpuRatio = (r: Row): number => r.both.copy.cpu / r.both.cpu;
const fastestRatio = (r: Row): number => r.both.copy.fastest / r.both.fastest;
console.log(
  `codec bench: node ${process.version}, ${cpus().length} x ${cpus()[0]?.model ?? 'unknown cpu'}, load average ${loadavg()[0].toFixed(1)}; ` +
    `${runs} runs after ${WARMUP_RUNS} warm-up; ${params} parameters; ` +
    `codecs: ${nativeCodecs() ? 'native (AVX2, F16C)' : 'WebAssembly SIMD'}`,
);
console.log(
  'throughput in MB/s of float32 input (medians); ratio = the median over the runs of copy time / codec time, each run ' +
    'against a copy timed just before it (Float32Array.set of the same bytes into a preallocated array); enc+dec is one encode then one decode; cpu = the enc+dec ratio in CPU time; ' +
    'fastest = the enc+dec ratio of the fastest runs (copy and codec); faults = page faults of an enc+dec',
);
console.log(
  `${'case'.padEnd(18)}${pad('input MB', 9)}${pad('frame MB', 9)}${pad('copy', 8)}${pad('encode', 8)}${pad('ratio', 7)}` +
    `${pad('decode', 8)}${pad('ratio', 8)}${pad('enc+dec', 9)}${pad('ratio', 7)}${pad('cpu', 7)}${pad('fastest', 9)}${pad('faults', 8)}`,
);
for (const r of rows) {
  console.log(
    `${r.label.padEnd(18)}${pad((r.inputBytes / MB).toFixed(1), 9)}${pad((r.frameBytes / MB).toFixed(1), 9)}` +
      `${pad(rate(r.inputBytes, r.both.copy.median), 8)}${pad(rate(r.inputBytes, r.encode.median), 8)}${pad(r.encode.ratio.toFixed(2), 7)}` +
      `${pad(rate(r.inputBytes, r.decode.median), 8)}${pad(r.decode.ratio.toFixed(2), 8)}` +
      `${pad(rate(r.inputBytes, r.both.median), 9)}${pad(r.both.ratio.toFixed(2), 7)}${pad(cpuRatio(r).toFixed(2), 7)}${pad(fastestRatio(r).toFixed(2), 9)}${pad(String(r.both.faults), 8)}`,
  );
}
const target = (row: Row, wanted: number): string => {
  const paired = row.both.ratio;
  return `${row.label} ${paired.toFixed(2)} (${paired >= wanted ? 'met' : 'not met'}; in CPU time ${cpuRatio(row).toFixed(2)}, fastest runs ${fastestRatio(row).toFixed(2)})`;
};
const float32Row = rows.find((r) => r.label === 'float32');
if (float32Row) console.log(`target float32 encode+decode >= 0.5 of copy speed: ${target(float32Row, 0.5)}`);
console.log(
  `target >= 0.25 of copy speed: ${rows
    .filter((r) => ['float16', 'int8 per row', 'top-1% float32'].includes(r.label))
    .map((r) => target(r, 0.25))
    .join(', ')}`,
);

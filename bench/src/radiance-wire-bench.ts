// What an entropy stage would save on the radiance links: a federated round on the procedural scene, then
// one device's Update frame (float32, int8, int8 of a pruned upload) and one edge→device patch frame (int8,
// every changed row and a quarter of the rows), each as encoded and through brotli (node:zlib, quality 5:
// fast enough for a frame per device per round). The links do not compress frames yet; this sizes the gain.
// Figures, not pass/fail. Usage:
//   node bench/dist/src/radiance-wire-bench.js [--grid 40] [--rounds 3]

import { parseArgs } from 'node:util';
import { brotliCompressSync, constants as zlib } from 'node:zlib';
import {
  FedAvg,
  ModelDownlink,
  UpdateEncoder,
  compressionSchema,
  type DeviceTrainer,
  type ModelParams,
  type ModelUpdate,
  type RoundRequestHeader,
} from '@strata/shared';
import { DEFAULT_RADIANCE_DEVICE_OPTIONS, ProceduralScene, RadianceVoxelGridTask } from '@strata/tasks';

const { values: args } = parseArgs({
  options: { grid: { type: 'string', default: '40' }, rounds: { type: 'string', default: '3' } },
});
const grid = Number(args.grid);
const rounds = Number(args.rounds);
const scene = new ProceduralScene({ seed: 11, size: 32, views: 40 }).dataset();
const options = { ...DEFAULT_RADIANCE_DEVICE_OPTIONS, lrDensity: 0.3, lrColor: 0.15 };
const header: RoundRequestHeader = { roundId: 'r', round: 1, kind: 'train', localSteps: 10, options: {} };

function brotli(frame: Uint8Array): number {
  return brotliCompressSync(frame, { params: { [zlib.BROTLI_PARAM_QUALITY]: 5, [zlib.BROTLI_PARAM_SIZE_HINT]: frame.length } }).length;
}

async function train(devices: DeviceTrainer[], model: ModelParams, round: number, uploadShare: number): Promise<ModelUpdate[]> {
  const updates: ModelUpdate[] = [];
  for (const d of devices) updates.push(await d.train(model, { round, localSteps: 10, options: { ...options, uploadShare } }));
  const fedAvg = new FedAvg();
  fedAvg.apply(model, fedAvg.aggregate(updates));
  return updates;
}

const rows: [string, number, number][] = [];
for (const uploadShare of [1, 0.3]) {
  const task = new RadianceVoxelGridTask(scene, { devices: 4, points: grid ** 3, seed: 2 });
  const model = task.initModel();
  const devices = Array.from({ length: task.numDevices }, (_, i) => task.createDevice(i));
  const downlinks = { all: new ModelDownlink(downlink(1)), quarter: new ModelDownlink(downlink(0.25)) };
  let updates: ModelUpdate[] = [];
  for (let r = 1; r <= rounds; r++) {
    for (const link of Object.values(downlinks)) link.advance(model, r, `v${r}`);
    for (const [name, link] of Object.entries(downlinks)) {
      const frames = link.frames(header);
      const frame = frames.frameFor('d').frame;
      link.delivered('d', frames.checksum);
      if (r === rounds && uploadShare === 1) rows.push([`edge→device int8 patch, ${name} changed rows`, frame.length, brotli(frame)]);
    }
    updates = await train(devices, model, r, uploadShare);
  }
  const dtypes = uploadShare === 1 ? (['float32', 'int8'] as const) : (['int8'] as const);
  for (const dtype of dtypes) {
    const encoder = new UpdateEncoder(compressionSchema.parse({ dtype }));
    const frame = encoder.encode(updates[0], { roundId: 'r', baseVersion: rounds, sender: 'd' });
    rows.push([`device→edge ${dtype}${uploadShare < 1 ? `, upload share ${uploadShare}` : ''}`, frame.length, brotli(frame)]);
  }
  await task.close();
}

function downlink(rowFraction: number) {
  return { dtype: 'int8' as const, rowFraction, energy: 1, history: 4, entropy: 'none' as const };
}

console.log(`radiance wire bench: procedural scene, ${grid}^3 grid, 4 devices, round ${rounds} (brotli quality 5)`);
console.log(`${'frame'.padEnd(46)}${'bytes'.padStart(12)}${'brotli'.padStart(12)}${'ratio'.padStart(8)}`);
for (const [name, raw, packed] of rows) {
  console.log(
    `${name.padEnd(46)}${raw.toLocaleString('en').padStart(12)}${packed.toLocaleString('en').padStart(12)}${(raw / packed).toFixed(2).padStart(8)}`,
  );
}

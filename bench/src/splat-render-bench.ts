// CPU time of the splat fast path (what the edge's render workers run per frame) on a trained Gaussian
// model, on this thread or (--threads n) across a ParallelSplatRenderer's n workers (CPU summed over threads):
// 400x400 frames from the viewing sessions' orbit (radius 4, elevation 30 degrees, lego's
// field of view), CPU-ms per frame, the pairs composited, and ns per composited pair. --save writes the frames
// (rgb, depth, opacity as float32) so a later build's frames can be compared with --compare (PSNR of rgb,
// largest depth and opacity difference). Each compositor of --compositors (simd: the WebAssembly SIMD kernel,
// js: the JS loop) is measured in turn, and the second's frames compared with the first's (PSNR of rgb, pixels
// whose median depth differs); --save and --compare take the first's. Figures, not pass/fail.
// Usage:
//   node bench/dist/src/splat-render-bench.js --model <point_cloud.ply> [--res 400] [--poses 8] [--rounds 3]
//     [--quality fast|full] [--threads 0] [--compositors simd,js] [--save <file>] [--compare <file>]

import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import {
  DEFAULT_FAST_SPLAT,
  FULL_SPLAT,
  GaussianRasterizer,
  ParallelSplatRenderer,
  focalFromFov,
  loadGaussianPly,
  orbitPath,
  renderSplatBand,
  type Camera,
} from '@strata/tasks';

const { values: args } = parseArgs({
  options: {
    model: { type: 'string' },
    res: { type: 'string', default: '400' },
    poses: { type: 'string', default: '8' },
    rounds: { type: 'string', default: '3' },
    quality: { type: 'string', default: 'fast' },
    threads: { type: 'string', default: '0' },
    compositors: { type: 'string', default: 'simd,js' },
    save: { type: 'string' },
    compare: { type: 'string' },
  },
});
if (!args.model) throw new Error('splat render bench: --model <point_cloud.ply> is required');
if (args.quality !== 'fast' && args.quality !== 'full')
  throw new Error(`splat render bench: --quality ${args.quality} is not fast or full`);
const res = Number(args.res),
  poses = Number(args.poses),
  rounds = Number(args.rounds),
  threads = Number(args.threads);
const compositors = args.compositors.split(',');
for (const c of compositors) if (c !== 'simd' && c !== 'js') throw new Error(`splat render bench: compositor ${c} is not simd or js`);
const cloud = loadGaussianPly(args.model);
const quality = args.quality === 'full' ? FULL_SPLAT : DEFAULT_FAST_SPLAT;
const focal = focalFromFov(0.6911112070083618, res);
const path = orbitPath({ poses, rateHz: 30, degreesPerSecond: 360 / (poses / 30), elevationDegrees: 30, radius: 4 });
const cameras: Camera[] = path.map((pose) => ({ width: res, height: res, focal, c2w: pose.slice(0, 3).flat() }));
const n = res * res;
type Frame = { rgb: Float32Array; depth: Float32Array; opacity: Float32Array };
const white: [number, number, number] = [1, 1, 1];
console.log(
  `splat render bench: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), load average ${loadavg()[0].toFixed(1)}; ` +
    `${cloud.count.toLocaleString('en')} Gaussians, ${res}x${res} ${args.quality}, ${threads === 0 ? 'this thread' : `${threads} worker threads`}, ` +
    `${poses} orbit poses x ${rounds} rounds (after a warm-up round)`,
);

/** Renders every pose with `compositor` `rounds` times after a warm-up round; prints the figures, returns the frames. */
async function measure(compositor: string): Promise<Frame[]> {
  const settings = { ...quality, simd: compositor === 'simd' };
  const frames: Frame[] = cameras.map(() => ({ rgb: new Float32Array(3 * n), depth: new Float32Array(n), opacity: new Float32Array(n) }));
  const rasterizer = new GaussianRasterizer();
  const band = { ...settings, tileRowOffset: 0, tileRowStride: 1 };
  const parallel = threads > 0 ? new ParallelSplatRenderer(cloud, white, threads, settings) : undefined;
  /** Renders every pose into `frames`; returns the pairs composited (this thread only). */
  const renderAll = async (): Promise<number> => {
    let pairs = 0;
    for (let k = 0; k < cameras.length; k++) {
      if (parallel) {
        const view = await parallel.render(cameras[k], args.quality === 'full' ? 'full' : 'fast');
        // The last round's frame of this pose is done with (as a session hands each frame back once encoded).
        parallel.recycle(frames[k]);
        frames[k] = { rgb: view.rgb, depth: view.depth, opacity: view.opacity };
      } else {
        renderSplatBand(rasterizer, cloud, cameras[k], white, band, frames[k]);
        pairs += rasterizer.composited;
      }
    }
    return pairs;
  };
  await renderAll();
  const perRound: number[] = [];
  const wallPerRound: number[] = [];
  let pairs = 0;
  for (let r = 0; r < rounds; r++) {
    const cpu = process.cpuUsage();
    const started = performance.now();
    pairs = await renderAll();
    const used = process.cpuUsage(cpu);
    wallPerRound.push((performance.now() - started) / poses);
    perRound.push((used.user + used.system) / 1000 / poses);
  }
  await parallel?.close();
  const best = Math.min(...perRound);
  const meanPairs = pairs / poses;
  const active = parallel
    ? compositor
    : `${compositor}${rasterizer.simdAvailable === false ? ' (no WebAssembly SIMD here: the JS loop)' : ''}`;
  console.log(
    `${active}: CPU-ms per frame: ${perRound.map((ms) => ms.toFixed(1)).join(', ')} (best ${best.toFixed(1)}); wall ms per frame ` +
      `${wallPerRound.map((ms) => ms.toFixed(1)).join(', ')} (best ${Math.min(...wallPerRound).toFixed(1)})` +
      (parallel
        ? ''
        : `; ${(meanPairs / 1e6).toFixed(3)}M pairs composited a frame, ${((best * 1e6) / meanPairs).toFixed(1)} ns per pair (whole frame)`),
  );
  return frames;
}

const results: Frame[][] = [];
for (const compositor of compositors) results.push(await measure(compositor));
const frames = results[0];
if (results.length > 1) {
  let se = 0,
    depthDiffers = 0;
  results[1].forEach((f, k) => {
    for (let i = 0; i < 3 * n; i++) se += (f.rgb[i] - frames[k].rgb[i]) ** 2;
    for (let i = 0; i < n; i++) if (Math.abs(f.depth[i] - frames[k].depth[i]) > 1e-4 * Math.max(1, frames[k].depth[i])) depthDiffers++;
  });
  console.log(
    `${compositors[1]} against ${compositors[0]}: PSNR ${(-10 * Math.log10(Math.max(se / (poses * 3 * n), 1e-12))).toFixed(2)} dB, ` +
      `median depth differs (over 1e-4 relative) on ${depthDiffers} of ${poses * n} pixels`,
  );
}
if (args.save) {
  const out = new Float32Array(poses * 5 * n);
  frames.forEach((f, k) => {
    out.set(f.rgb, k * 5 * n);
    out.set(f.depth, k * 5 * n + 3 * n);
    out.set(f.opacity, k * 5 * n + 4 * n);
  });
  writeFileSync(args.save, new Uint8Array(out.buffer));
  console.log(`saved ${poses} frames to ${args.save}`);
}
if (args.compare) {
  const bytes = readFileSync(args.compare);
  const ref = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  if (ref.length !== poses * 5 * n) throw new Error(`splat render bench: ${args.compare} holds other frames`);
  let se = 0,
    rgbMax = 0,
    depthMax = 0,
    opacityMax = 0,
    identical = true;
  frames.forEach((f, k) => {
    const base = k * 5 * n;
    for (let i = 0; i < 3 * n; i++) {
      const d = f.rgb[i] - ref[base + i];
      if (d !== 0) identical = false;
      se += d * d;
      rgbMax = Math.max(rgbMax, Math.abs(d));
    }
    for (let i = 0; i < n; i++) {
      depthMax = Math.max(depthMax, Math.abs(f.depth[i] - ref[base + 3 * n + i]));
      opacityMax = Math.max(opacityMax, Math.abs(f.opacity[i] - ref[base + 4 * n + i]));
    }
  });
  const mse = se / (poses * 3 * n);
  console.log(
    `against ${args.compare}: ${identical ? 'bit-identical rgb' : `PSNR ${(-10 * Math.log10(mse)).toFixed(2)} dB`}, ` +
      `largest difference rgb ${rgbMax.toExponential(2)}, depth ${depthMax.toExponential(2)}, opacity ${opacityMax.toExponential(2)}`,
  );
}

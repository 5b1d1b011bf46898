// `strata view --model FILE`: plays a camera path around a saved radiance model under local, remote and
// co-rendering, for each image size and link profile asked for, on real loopback sessions (socket.io behind
// the simulator's shaping proxy), and writes what the user saw: a table (motion-to-photon latency median and
// p95, frames per second, bytes per second, displayed-frame PSNR against the full-quality render of the pose
// the user had), the architecture the policy picks per link (and its switches as the link changes), an image
// strip per size (full quality | local | remote | co for each link) and a run record (JSON).

import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import { parseConfig, viewColorCodecs, type ViewColorCodec } from '@strata/shared';
import { createLogger } from '@strata/runtime';
import { ViewArchitecturePolicy, type ViewArchitecture } from '@strata/device-client';
import { VIEWING_LINKS, viewingDevice, viewingLink } from '@strata/simulator';
import {
  ParallelGridRenderer,
  ParallelSplatRenderer,
  RadianceFrameRenderer,
  RadianceViewerDevice,
  SplatViewRenderer,
  horizontalStrip,
  decodeCompactGaussians,
  decodeCompactRadianceModel,
  encodeCompactRadianceModel,
  encodeCompactGaussians,
  loadGaussianPly,
  loadRadianceModel,
  orbitPath,
  focalFromFov,
  psnr,
  writeRgbPng,
  type RgbImage,
  type RenderQuality,
  type ParallelViewRenderer,
  type ViewerDeviceOptions,
} from '@strata/tasks';
import { ProgressBar } from '../console/progress.js';
import { LoopbackViewEdge, runMeasuredSession, type SessionFigures } from '../view/measured-view-session.js';
import { formatBytes } from '../view/format-bytes.js';

const listOf = <T extends z.ZodType>(item: T) =>
  z.preprocess(
    (v) =>
      typeof v === 'string'
        ? v
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean)
        : v,
    z.array(item).min(1),
  );

const viewOptionsSchema = z
  .object({
    model: z.string().min(1),
    res: listOf(z.coerce.number().int().min(8).max(1024)).default([100, 400]),
    links: listOf(
      z.string().refine((l) => Object.hasOwn(VIEWING_LINKS, l), { message: `links are ${Object.keys(VIEWING_LINKS).join(', ')}` }),
    ).default(['1gbit-5ms', '20mbit-40ms', 'lte']),
    architectures: listOf(z.enum(['local', 'remote', 'co'])).default(['local', 'remote', 'co']),
    device: z.enum(['phone', 'laptop']).default('laptop'),
    rate: z.coerce.number().min(1).max(120).default(30),
    poses: z.coerce.number().int().min(2).max(1000).default(90),
    /** Degrees per second the camera orbits (a head turn is about 30-90). */
    speed: z.coerce.number().min(0).max(720).default(60),
    /** What the edge renders streamed frames at (and the local device its own frames). */
    quality: z.enum(['fast', 'draft']).default('fast'),
    /** The edge's colour codec; auto: rgb8 on links of at least 500 Mbit/s down, rgb8-deflate from 200, else jpeg. */
    codec: z.enum(['auto', ...viewColorCodecs]).default('auto'),
    threads: z.coerce.number().int().min(1).max(256).default(Math.max(1, availableParallelism())),
    out: z.string().optional(),
    seed: z.coerce.number().int().default(1),
    /** A Gaussian model's depth range (a .ply carries none; the voxel model's own range is used otherwise). */
    near: z.coerce.number().positive().default(2),
    far: z.coerce.number().positive().default(6),
  })
  .strict()
  .refine((o) => o.far > o.near, { message: 'far must be greater than near', path: ['far'] });

type ViewOptions = z.output<typeof viewOptionsSchema>;

const out = (line: string): void => void process.stdout.write(`${line}\n`);

export function register(program: Command): void {
  program
    .command('view')
    .description('play a camera path around a radiance model under local, remote and co-rendering behind shaped links; table + image strip')
    .requiredOption(
      '--model <file>',
      'saved model: runs/<id>/model.strf (voxel grid) or runs/<id>/point_cloud.ply (Gaussians) from strata train radiance',
    )
    .option('--res <list>', 'image widths (square), comma-separated (default 100,400)')
    .option('--links <list>', `link profiles: ${Object.keys(VIEWING_LINKS).join(', ')} (default 1gbit-5ms,20mbit-40ms,lte)`)
    .option('--architectures <list>', 'local, remote, co (default all)')
    .option('--device <cpu>', 'device CPU profile: phone or laptop (default laptop)')
    .option('--rate <hz>', 'poses per second of the path (default 30)')
    .option('--poses <n>', 'poses in the path (default 90: 3 s at 30 Hz)')
    .option('--speed <deg/s>', 'how fast the camera orbits (default 60)')
    .option('--quality <q>', 'edge frames: fast (sparser march) or draft (fast at half resolution, upsampled) (default fast)')
    .option(
      '--codec <c>',
      'colour of edge frames: jpeg, rgb8-deflate, rgb8, or auto (rgb8 on links of >= 500 Mbit/s down, rgb8-deflate >= 200) (default auto)',
    )
    .option('--threads <n>', 'edge render threads (default: all cores)')
    .option('--out <dir>', 'where the table, strip and record go (default: beside the model)')
    .option('--seed <n>', 'seed of the link jitter and loss (default 1)')
    .option('--near <d>', 'a Gaussian model: nearest depth of the scene, for depth frames (default 2, the Blender scenes)')
    .option('--far <d>', 'a Gaussian model: farthest depth of the scene (default 6)')
    .action((flags: Record<string, unknown>) => viewCommand(parseConfig(viewOptionsSchema, flags, 'strata view')));
}

/** A saved model as a viewing session needs it: the edge's parallel renderer and a device's own. */
interface ViewedModel {
  readonly bytes: number;
  /** What a local device holds, for the table's header. */
  readonly description: string;
  readonly near: number;
  readonly far: number;
  readonly renderer: ParallelViewRenderer;
  device(options: ViewerDeviceOptions): RadianceViewerDevice;
}

/**
 * A voxel grid (.strf) or a Gaussian cloud (.ply, the 3DGS layout; white background as the Blender scenes). A
 * device holds the model as its compact file (.strc or .strg, what it would download from an edge): it renders
 * the decoded model, the edge the full one.
 */
async function loadViewedModel(path: string, options: ViewOptions): Promise<ViewedModel> {
  if (path.toLowerCase().endsWith('.ply')) {
    const cloud = loadGaussianPly(path);
    const compact = await encodeCompactGaussians(cloud);
    const held = decodeCompactGaussians(compact, `${path} as .strg`).cloud;
    const white: [number, number, number] = [1, 1, 1];
    return {
      bytes: compact.length,
      description: `${cloud.count} Gaussians at SH degree ${cloud.shDegree}, compact .strg file`,
      near: options.near,
      far: options.far,
      renderer: new ParallelSplatRenderer(cloud, white, options.threads),
      device: (deviceOptions) => new RadianceViewerDevice(new SplatViewRenderer(held, white), options.near, options.far, deviceOptions),
    };
  }
  const saved = loadRadianceModel(path);
  const { grid, settings } = saved;
  // Pruned at the renderer's own threshold, as an edge's task serves it at GET /compact-model.
  const compact = await encodeCompactRadianceModel(saved, { keepAlpha: settings.occupancyAlpha });
  const held = decodeCompactRadianceModel(compact, `${path} as .strc`);
  return {
    bytes: compact.length,
    description: 'compact .strc file',
    near: settings.near,
    far: settings.far,
    renderer: new ParallelGridRenderer(grid, settings, options.threads),
    device: (deviceOptions) => RadianceViewerDevice.forGrid(held.grid, held.settings, deviceOptions),
  };
}

async function viewCommand(options: ViewOptions): Promise<void> {
  const modelPath = resolve(options.model);
  const model = await loadViewedModel(modelPath, options);
  const outDir = resolve(options.out ?? `${modelPath.replace(/\.(strf|ply)$/i, '')}-view`);
  mkdirSync(outDir, { recursive: true });
  const modelBytes = model.bytes;
  const fovXDegrees = (0.6911112070083618 * 180) / Math.PI; // the lego camera's horizontal field of view
  const logger = createLogger('view', process.env.STRATA_LOG_LEVEL ?? 'warn');
  const renderer = model.renderer;
  const edge = await LoopbackViewEdge.start(new RadianceFrameRenderer(renderer, model.near, model.far), logger);
  const cpu = viewingDevice(options.device);
  const record: Record<string, unknown> = {
    model: modelPath,
    modelBytes,
    device: { name: options.device, ...cpu },
    rateHz: options.rate,
    poses: options.poses,
    speedDegreesPerSecond: options.speed,
    edgeThreads: options.threads,
    sizes: [] as unknown[],
  };
  const table: string[] = [
    `lego, ${options.poses} poses at ${options.rate} Hz orbiting at ${options.speed} deg/s; device ${options.device} (cpu x${cpu.cpuSpeed}); ` +
      `edge ${options.threads} threads; model ${(modelBytes / 2 ** 20).toFixed(1)} MiB (${model.description}, what a local device holds)`,
    '',
    '| size | link | architecture | m2p median ms | m2p p95 ms | fps shown | bytes/s | displayed PSNR dB | policy |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  const linked = options.architectures.filter((a) => a !== 'local').length;
  const bar = new ProgressBar('view sessions', 'sessions');
  bar.start(options.res.length * ((options.architectures.includes('local') ? 1 : 0) + linked * options.links.length));
  try {
    for (const res of options.res) {
      const focal = focalFromFov((fovXDegrees * Math.PI) / 180, res);
      const path = orbitPath({
        poses: options.poses,
        rateHz: options.rate,
        degreesPerSecond: options.speed,
        elevationDegrees: 30,
        radius: 4,
      });
      // Rendering speed across the edge's threads: wall and CPU time (all threads) per frame, full and fast.
      const cameraAt = (k: number) => cameraOf(path[k], res, focal);
      const timed = async (quality: RenderQuality, poses: number[]) => {
        const cpu = process.cpuUsage();
        const started = performance.now();
        const frames: Float32Array[] = [];
        for (const k of poses) frames.push((await renderer.render(cameraAt(k), quality)).rgb);
        const used = process.cpuUsage(cpu);
        return { frames, wallMs: (performance.now() - started) / poses.length, cpuMs: (used.user + used.system) / 1000 / poses.length };
      };
      const probe = Array.from({ length: 4 }, (_, i) => Math.floor(((i + 0.5) * path.length) / 4));
      // Warm-up, not timed: the workers' first frames at a size and quality run before the JIT has compiled them.
      for (const quality of ['full', 'fast', 'draft'] as const) await timed(quality, probe.slice(0, 2));
      const fullTimes = await timed('full', probe);
      const fastTimes = await timed('fast', probe);
      const fastPsnr = probe.reduce((s, _, i) => s + psnr(fastTimes.frames[i], fullTimes.frames[i]), 0) / probe.length;
      const draftTimes = await timed('draft', probe);
      const draftPsnr = probe.reduce((s, _, i) => s + psnr(draftTimes.frames[i], fullTimes.frames[i]), 0) / probe.length;
      out(
        `${res}x${res} on ${options.threads} edge threads: full quality ${fullTimes.wallMs.toFixed(0)} ms/frame wall (${fullTimes.cpuMs.toFixed(0)} CPU-ms), ` +
          `fast ${fastTimes.wallMs.toFixed(0)} ms wall (${fastTimes.cpuMs.toFixed(0)} CPU-ms; ${fastPsnr.toFixed(2)} dB vs full), ` +
          `draft ${draftTimes.wallMs.toFixed(0)} ms wall (${draftTimes.cpuMs.toFixed(0)} CPU-ms; ${draftPsnr.toFixed(2)} dB vs full)`,
      );
      // Full-quality references of the poses users had when frames were shown, rendered once each.
      const references = new Map<number, Promise<Float32Array>>();
      const reference = (k: number): Promise<Float32Array> => {
        let cached = references.get(k);
        if (!cached) {
          cached = renderer.render(cameraAt(k), 'full').then((v) => v.rgb);
          references.set(k, cached);
        }
        return cached;
      };
      const device = model.device({
        width: res,
        height: res,
        fovXDegrees,
        cpuSpeed: cpu.cpuSpeed,
        quality: options.quality,
      });
      const common = {
        device,
        path,
        rateHz: options.rate,
        width: res,
        height: res,
        fovXDegrees,
        quality: options.quality,
        reference,
        psnr,
        edge,
      };
      const policy = new ViewArchitecturePolicy(options.rate);
      const figures: SessionFigures[] = [];
      let local: SessionFigures | undefined;
      if (options.architectures.includes('local')) {
        local = await runMeasuredSession({ ...common, architecture: 'local', link: null, seed: options.seed });
        bar.tick(`${res}x${res} local`);
      }
      const stripImages: RgbImage[] = [{ width: res, height: res, rgb: await reference(Math.floor(path.length / 2)) }];
      const perLink: unknown[] = [];
      for (const linkName of options.links) {
        const link = { name: linkName, profile: viewingLink(linkName) };
        const rows: SessionFigures[] = local ? [{ ...local, link: linkName }] : [];
        const colorCodec = codecFor(options.codec, link.profile.downMbps);
        for (const architecture of options.architectures.filter((a): a is Exclude<ViewArchitecture, 'local'> => a !== 'local')) {
          rows.push(await runMeasuredSession({ ...common, architecture, link, colorCodec, seed: options.seed }));
          bar.tick(`${res}x${res} ${linkName} ${architecture}`);
        }
        const choice = policy.linkChanged(
          linkName,
          rows.map((r) => ({ ...r, p95LatencyMs: r.latencyP95Ms })),
        );
        for (const r of rows) {
          figures.push(r);
          table.push(
            `| ${res}x${res} | ${linkName} | ${r.architecture}${r.colorCodec === 'none' ? '' : ` (${r.colorCodec})`} | ${figure(r.latencyMedianMs, 0)} | ${figure(r.latencyP95Ms, 0)} | ${r.fps.toFixed(1)} | ` +
              `${formatBytes(r.bytesPerSecond)} | ${figure(r.meanPsnr, 2)} | ${r.architecture === choice.architecture ? '**chosen**' : ''} |`,
          );
          if (r.sample) stripImages.push({ width: res, height: res, rgb: r.sample.rgb });
        }
        perLink.push({ link: linkName, profile: link.profile, choice, sessions: rows.map(({ sample: _s, ...rest }) => rest) });
        out(`${res}x${res} on ${linkName}: policy picks ${choice.architecture} (${choice.reason})`);
      }
      const strip = horizontalStrip(stripImages);
      const stripPath = join(outDir, `view-strip-${res}.png`);
      writeRgbPng(stripPath, strip.rgb, strip.width, strip.height);
      (record.sizes as unknown[]).push({
        res,
        render: {
          full: { wallMs: fullTimes.wallMs, cpuMs: fullTimes.cpuMs },
          fast: { wallMs: fastTimes.wallMs, cpuMs: fastTimes.cpuMs },
          fastVsFullPsnr: fastPsnr,
          threads: options.threads,
        },
        links: perLink,
        policySwitches: policy.switches,
        strip: stripPath,
        stripOrder: `full quality | then per link (${options.links.join(', ')}): ${options.architectures.join(' | ')} (the frame shown nearest the middle pose)`,
      });
    }
  } finally {
    bar.stop();
    await edge.close();
    await renderer.close();
  }
  const tablePath = join(outDir, 'view-table.md');
  writeFileSync(tablePath, `${table.join('\n')}\n`);
  writeFileSync(join(outDir, 'view-record.json'), `${JSON.stringify(record, null, 2)}\n`);
  out(table.join('\n'));
  out(`table: ${tablePath}; record: ${join(outDir, 'view-record.json')}; strips: ${join(outDir, 'view-strip-<res>.png')}`);
}

function cameraOf(pose: readonly (readonly number[])[], res: number, focal: number) {
  return { width: res, height: res, focal, c2w: pose.slice(0, 3).flat() };
}

/**
 * 8-bit colour on links fast enough for it: raw (480 kB a 400x400 frame, ~115 Mbit/s at 30 fps, ~4 ms a frame
 * on the wire at 1 Gbit/s) from 500 Mbit/s down, deflated (~100-400 kB) from 200; JPEG on the rest.
 */
function codecFor(codec: ViewColorCodec | 'auto', downMbps: number): ViewColorCodec {
  if (codec !== 'auto') return codec;
  return downMbps >= 500 ? 'rgb8' : downMbps >= 200 ? 'rgb8-deflate' : 'jpeg';
}

/** A figure, or a dash where nothing was shown to measure. */
function figure(value: number, digits: number): string {
  return Number.isFinite(value) ? value.toFixed(digits) : '-';
}

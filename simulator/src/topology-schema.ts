// The topology file: what a simulation (or a real-network run) deploys. Tiers (the cloud's region, edges in
// regions, device groups on edges), link profiles (latency, jitter, up/down bandwidth, loss) for device
// access links and region backhauls, device compute, availability and data assignment, and the federated job
// (task, data, HierFAVG schedule, strategies, compression). Every object is strict, so a misspelt field
// fails with its path; cross-references (a link, a region, an edge named but not defined; an edge without
// devices) fail naming the field that holds them.

import { z } from 'zod';
import { compressionSchema, hierFavgScheduleSchema } from '@strata/shared';
import type { SyntheticRecsysOptions } from '@strata/tasks';
import { asyncConflict, dataSourceSchema, privacyConflict, runConfigSchema, secureAggregationConflict } from '@strata/shared';
import { adversarySchema } from './adversary.js';

const name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'must be letters, digits, and _ . - (not first)');

export const linkProfileSchema = z
  .object({
    latencyMs: z.number().min(0),
    jitterMs: z.number().min(0).default(0),
    upMbps: z.number().positive(),
    downMbps: z.number().positive(),
    /** Probability that a packet is lost. */
    loss: z.number().min(0).lt(1).default(0),
  })
  .strict();

const frameCostsSchema = z
  .object({
    colorBytes: z.number().positive(),
    depthBytes: z.number().min(0),
    edgeRenderMs: z.number().min(0),
    localRenderMs: z.number().min(0),
    composeMs: z.number().min(0),
  })
  .strict();

/**
 * Viewing sessions to simulate (simulated-view-session.ts): device CPUs, what a frame costs per size (measured
 * with `strata view`), and sessions, each a link of `links`, a device CPU, a size and a camera path.
 */
export const viewingSchema = z
  .object({
    devices: z.record(name, z.object({ cpuSpeed: z.number().positive() }).strict()),
    frames: z.record(z.string().regex(/^[1-9][0-9]*$/, 'a frame size in pixels (square)'), frameCostsSchema),
    sessions: z
      .array(
        z
          .object({
            link: name,
            device: name,
            size: z.number().int().positive(),
            poses: z.number().int().min(1).default(90),
            rateHz: z.number().positive().max(240).default(30),
            architectures: z
              .array(z.enum(['local', 'remote', 'co']))
              .min(1)
              .default(['local', 'remote', 'co']),
          })
          .strict(),
      )
      .min(1),
  })
  .strict();

export const regionSchema = z
  .object({
    /** The link between the region and the core network (shared by all its traffic to other regions); none: free. */
    backhaul: name.optional(),
  })
  .strict();

export const edgeSchema = z
  .object({
    id: name,
    region: name,
    /** The edge server's own link to its devices, shared by all of them (default: none, unlimited). */
    link: name.optional(),
  })
  .strict();

export const computeSchema = z
  .object({
    /** Speed relative to the reference device (simulation.referenceSecondsPerSample). */
    speed: z.number().positive().optional(),
    /** Measured seconds per training sample per local step (instead of a relative speed). */
    secondsPerSample: z.number().positive().optional(),
    /** Log-normal sigma of each computation's duration around its mean. */
    jitter: z.number().min(0).default(0),
  })
  .strict()
  .refine((c) => c.speed === undefined || c.secondsPerSample === undefined, { message: 'give speed or secondsPerSample, not both' });

export const availabilitySchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('always') }).strict(),
  z
    .object({
      kind: z.literal('duty-cycle'),
      onSeconds: z.number().positive(),
      offSeconds: z.number().positive(),
      /** random: each device starts at a seeded random point of its cycle; aligned: all start online together. */
      phase: z.enum(['random', 'aligned']).default('random'),
    })
    .strict(),
  z
    .object({
      kind: z.literal('trace'),
      /** CSV of `device,start,end` (seconds), relative to the topology file. */
      file: z.string().min(1),
      /** Start the trace over when it ends. */
      repeat: z.boolean().default(true),
    })
    .strict(),
]);

export const deviceGroupSchema = z
  .object({
    group: name,
    edge: name,
    /** Where the devices are (default: their edge's region); devices outside it reach it over both backhauls. */
    region: name.optional(),
    count: z.number().int().min(1),
    /** The device's access link (one per device). */
    link: name,
    compute: computeSchema.default({ jitter: 0 }),
    availability: availabilitySchema.default({ kind: 'always' }),
    data: z
      .object({
        /**
         * 0: the group's devices hold data partitions dealt at random (IID across groups); 1: the group holds a
         * contiguous block of partitions (for the synthetic data, whole user communities: non-IID).
         */
        skew: z.number().min(0).max(1).default(0),
      })
      .strict()
      .default({ skew: 0 }),
  })
  .strict();

export const syntheticDataSchema = z
  .object({
    users: z.number().int().min(1).optional(),
    items: z.number().int().min(2).optional(),
    rank: z.number().int().min(1).optional(),
    communities: z.number().int().min(1).optional(),
    communitySpread: z.number().min(0).optional(),
    interactionsPerUser: z.number().min(2).optional(),
    minInteractions: z.number().int().min(2).optional(),
    affinity: z.number().min(0).optional(),
    popularity: z.number().min(0).optional(),
  })
  .strict() satisfies z.ZodType<Partial<Omit<SyntheticRecsysOptions, 'seed'>>>;

export const simulationSettingsSchema = z
  .object({
    /** Seconds one training sample takes per local step on the reference device (speed 1). */
    referenceSecondsPerSample: z.number().positive().default(0.001),
    /** On device links, a lost packet costs a retransmission timeout (retransmit) or loses the message (drop). */
    lossMode: z.enum(['retransmit', 'drop']).default('retransmit'),
    /** Cloud rounds start at most this often (0: each as soon as the last ends), as a coordinator on a schedule would. */
    roundIntervalSeconds: z.number().min(0).default(0),
    /** A run that needs more simulated time than this fails. */
    maxSimSeconds: z
      .number()
      .positive()
      .default(30 * 24 * 3600),
    /** Bins of the participation timeline in the run record. */
    timelineBins: z.number().int().min(10).max(2000).default(200),
  })
  .strict();

export const topologySchema = z
  .object({
    name,
    description: z.string().optional(),
    seed: z.number().int().min(0).default(0),
    task: z
      .object({
        name: z.string().default('recsys/bpr-mf'),
        data: z
          .object({
            /** Generated data with planted structure; `users` defaults to the number of devices. */
            synthetic: syntheticDataSchema.optional(),
            /** A data file, as `strata run` reads it (default: the shared ml-100k). */
            file: dataSourceSchema.optional(),
          })
          .strict()
          .refine((d) => d.synthetic === undefined || d.file === undefined, { message: 'give synthetic or file, not both' })
          .default({}),
        /** Task options (learning rate, dimensions, ...) overriding the task's defaults. */
        options: z.record(z.string(), z.number()).default({}),
      })
      .strict()
      .default({ name: 'recsys/bpr-mf', data: {}, options: {} }),
    schedule: hierFavgScheduleSchema.default(hierFavgScheduleSchema.parse({})),
    strategy: runConfigSchema.shape.strategy,
    edgeStrategy: runConfigSchema.shape.edgeStrategy,
    compression: compressionSchema.default(compressionSchema.parse({})),
    /** How edges send models down to devices, as `strata run --downlink` (graph tasks need it lossless). */
    downlink: runConfigSchema.shape.downlink,
    /** Norm clipping of device updates at the edges, and the failed rounds a run tolerates. */
    defences: runConfigSchema.shape.defences,
    /** User-level differential privacy (central DP-FedAvg), as in the run config; off by default. */
    privacy: runConfigSchema.shape.privacy,
    /** Secure aggregation (SecAgg+) at the edges, as `strata run --secure-aggregation`; off by default. */
    secureAggregation: runConfigSchema.shape.secureAggregation,
    /** Devices that attack the model (see adversary.ts); none by default. */
    adversary: adversarySchema.optional(),
    simulation: simulationSettingsSchema.default(simulationSettingsSchema.parse({})),
    links: z.record(name, linkProfileSchema),
    viewing: viewingSchema.optional(),
    regions: z.record(name, regionSchema),
    cloud: z.object({ region: name }).strict(),
    edges: z.array(edgeSchema).min(1),
    devices: z.array(deviceGroupSchema).min(1),
  })
  .strict()
  .superRefine((t, ctx) => {
    const problem = (path: (string | number)[], message: string): void => ctx.addIssue({ code: 'custom', path, message });
    const conflict = privacyConflict(t.privacy, t.schedule.kappa2);
    if (conflict) problem(['privacy', 'mode'], conflict);
    const secure = secureAggregationConflict(t.secureAggregation, t.edgeStrategy.name, t.privacy);
    if (secure) problem(['secureAggregation', 'enabled'], secure);
    const asynchronous = asyncConflict(t.schedule.mode, t.edgeStrategy.name, t.privacy.mode);
    if (asynchronous) problem(['schedule', 'mode'], asynchronous);
    const cloud = asyncConflict(t.schedule.cloud.mode, t.strategy.name, t.privacy.mode, 'cloud');
    if (cloud) problem(['schedule', 'cloud', 'mode'], cloud);
    const names = (what: string, known: Record<string, unknown>): string => `${what} (defined: ${Object.keys(known).join(', ') || 'none'})`;
    if (!(t.cloud.region in t.regions)) problem(['cloud', 'region'], `unknown region "${t.cloud.region}": ${names('regions', t.regions)}`);
    for (const [region, { backhaul }] of Object.entries(t.regions)) {
      if (backhaul !== undefined && !(backhaul in t.links))
        problem(['regions', region, 'backhaul'], `unknown link "${backhaul}": ${names('links', t.links)}`);
    }
    const edgeIds = new Set<string>();
    t.edges.forEach((edge, i) => {
      if (edgeIds.has(edge.id)) problem(['edges', i, 'id'], `edge id "${edge.id}" is used twice`);
      edgeIds.add(edge.id);
      if (!(edge.region in t.regions)) problem(['edges', i, 'region'], `unknown region "${edge.region}": ${names('regions', t.regions)}`);
      if (edge.link !== undefined && !(edge.link in t.links))
        problem(['edges', i, 'link'], `unknown link "${edge.link}": ${names('links', t.links)}`);
    });
    t.viewing?.sessions.forEach((session, i) => {
      const viewing = t.viewing as NonNullable<typeof t.viewing>;
      if (!(session.link in t.links))
        problem(['viewing', 'sessions', i, 'link'], `unknown link "${session.link}": ${names('links', t.links)}`);
      if (!(session.device in viewing.devices))
        problem(['viewing', 'sessions', i, 'device'], `unknown device "${session.device}": ${names('viewing devices', viewing.devices)}`);
      if (!(String(session.size) in viewing.frames))
        problem(['viewing', 'sessions', i, 'size'], `no frame costs for size ${session.size}: ${names('viewing frames', viewing.frames)}`);
    });
    const groups = new Set<string>();
    t.devices.forEach((group, k) => {
      if (groups.has(group.group)) problem(['devices', k, 'group'], `device group "${group.group}" is defined twice`);
      groups.add(group.group);
      if (!edgeIds.has(group.edge)) problem(['devices', k, 'edge'], `unknown edge "${group.edge}" (edges: ${[...edgeIds].join(', ')})`);
      if (!(group.link in t.links)) problem(['devices', k, 'link'], `unknown link "${group.link}": ${names('links', t.links)}`);
      if (group.region !== undefined && !(group.region in t.regions)) {
        problem(['devices', k, 'region'], `unknown region "${group.region}": ${names('regions', t.regions)}`);
      }
    });
    t.edges.forEach((edge, i) => {
      if (!t.devices.some((group) => group.edge === edge.id))
        problem(['edges', i], `edge "${edge.id}" has no devices: no device group names it`);
    });
  });

export type Topology = z.output<typeof topologySchema>;
export type DeviceGroup = Topology['devices'][number];
export type EdgeSpec = Topology['edges'][number];
export type LinkProfileSpec = z.output<typeof linkProfileSchema>;

// A viewing session over socket.io: the device streams camera poses (a path at 30-60 Hz, or interactive) and
// the edge streams back encoded frames of its newest model at the latest pose it has. Every number a device
// sends is untrusted: poses and start messages are parsed here and a bad one is answered with a
// `view:error` naming the field, never rendered.
//
// Events (device -> edge): `view:start` (session settings, acknowledged), `view:pose` (one camera pose),
// `view:shown` (a frame was displayed: frees a slot of the edge's in-flight window), `view:stop`.
// Events (edge -> device): `view:frame` (an encoded frame with the pose it was rendered at), `view:error`.

import { z } from 'zod';
import { ConfigError } from '../errors.js';
import { parseConfig } from '../config/parse-config.js';
import { MAX_VIEW_PIXELS, checkViewTranslation } from './view-request.js';

export const VIEW_SESSION_EVENTS = {
  start: 'view:start',
  pose: 'view:pose',
  shown: 'view:shown',
  stop: 'view:stop',
  frame: 'view:frame',
  error: 'view:error',
} as const;

/**
 * remote: the edge sends colour only and the device shows it as it comes; co: the edge adds depth and the
 * device warps the newest frame to its current pose (filling holes with a cheap local render). Local
 * rendering needs no session.
 */
export const viewSessionModes = ['remote', 'co'] as const;
export type ViewSessionMode = (typeof viewSessionModes)[number];

export const viewColorCodecs = ['jpeg', 'rgb8-deflate', 'rgb8'] as const;
export type ViewColorCodec = (typeof viewColorCodecs)[number];

export const viewSessionStartSchema = z
  .object({
    mode: z.enum(viewSessionModes),
    width: z.number().int().positive().max(4096),
    height: z.number().int().positive().max(4096),
    fovXDegrees: z.number().gt(0).lt(180),
    /**
     * full: the grid's own march; fast: the sparser, earlier-terminating march; draft: fast at half the width
     * and height, upsampled (parallel-grid-renderer.ts).
     */
    quality: z.enum(['full', 'fast', 'draft']).default('fast'),
    /** JPEG quality of the colour (1-100). */
    jpegQuality: z.number().int().min(1).max(100).default(80),
    /**
     * How the colour travels: jpeg (tens of kB a 400x400 frame, but its pure-JavaScript encoder costs the edge
     * ~125 CPU-ms there), or rgb8-deflate (8-bit rgb, deflated at level 1: ~15 CPU-ms, lossless at 8 bits,
     * hundreds of kB: for links of hundreds of Mbit/s, where the edge's CPU is what limits the frame rate), or
     * rgb8 (the same 8-bit rgb, not compressed: 3 bytes a pixel, nothing to deflate or inflate, for links near
     * 1 Gbit/s).
     */
    colorCodec: z.enum(viewColorCodecs).default('jpeg'),
    /** Frames the edge may have sent and not yet seen shown; past it, newer poses replace older ones. */
    maxInFlight: z.number().int().min(1).max(8).default(2),
  })
  .strict()
  .superRefine((start, context) => {
    if (start.width * start.height > MAX_VIEW_PIXELS)
      context.addIssue({
        code: 'custom',
        path: ['width'],
        message: `${start.width} x ${start.height} is more than ${MAX_VIEW_PIXELS} pixels`,
      });
  });

export type ViewSessionStart = z.output<typeof viewSessionStartSchema>;
export type ViewSessionStartInput = z.input<typeof viewSessionStartSchema>;

const finite = z.number();
const row = z.tuple([finite, finite, finite, finite]);

export const viewPoseSchema = z
  .object({
    /** Increasing per session; a pose not newer than the last one is refused. */
    seq: z.number().int().nonnegative(),
    /** When the device sampled the pose, on the device's clock in ms (echoed back in the frame). */
    sampledAt: z.number().nonnegative(),
    /** Camera-to-world, 4 rows of 4 (NeRF convention: looks down -z, +y up, last row [0, 0, 0, 1]). */
    cameraToWorld: z.tuple([row, row, row, row]),
  })
  .strict()
  .superRefine((pose, context) => {
    const m = pose.cameraToWorld;
    if (m[3][0] !== 0 || m[3][1] !== 0 || m[3][2] !== 0 || m[3][3] !== 1)
      context.addIssue({ code: 'custom', path: ['cameraToWorld', 3], message: 'the last row must be [0, 0, 0, 1]' });
    checkViewTranslation(m, context);
    // The rotation must be orthonormal (within float error): warping and rays assume it.
    for (let a = 0; a < 3; a++) {
      for (let b = a; b < 3; b++) {
        const dot = m[0][a] * m[0][b] + m[1][a] * m[1][b] + m[2][a] * m[2][b];
        if (Math.abs(dot - (a === b ? 1 : 0)) > 1e-3) {
          context.addIssue({ code: 'custom', path: ['cameraToWorld'], message: 'the rotation part is not orthonormal' });
          return;
        }
      }
    }
  });

export type ViewPose = z.output<typeof viewPoseSchema>;

export interface ViewFrameMessage {
  /** Per session, from 0. */
  readonly frame: number;
  readonly poseSeq: number;
  /** The pose's `sampledAt`, echoed. */
  readonly sampledAt: number;
  readonly cameraToWorld: ViewPose['cameraToWorld'];
  readonly width: number;
  readonly height: number;
  /** The edge's render and encode times. */
  readonly renderMs: number;
  readonly encodeMs: number;
  /** Poses the edge replaced with newer ones before rendering them, so far. */
  readonly posesDropped: number;
  /** JPEG colour. */
  readonly color: Uint8Array;
  /** Co-rendering: the depth (view-frame-codec.ts), else absent. */
  readonly depth?: Uint8Array;
}

export interface ViewErrorMessage {
  readonly code: 'STRATA_ERR_VIEW_SESSION';
  readonly message: string;
}

/** A message's payload parsed with `schema`; a ConfigError names the first bad fields. */
function parseMessage<T extends z.ZodType>(schema: T, body: unknown, what: string): z.output<T> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new ConfigError(`invalid ${what}: must be an object, got ${JSON.stringify(body)?.slice(0, 80)}`);
  }
  return parseConfig(schema, body, what);
}

export const parseViewSessionStart = (body: unknown): ViewSessionStart => parseMessage(viewSessionStartSchema, body, 'view session start');
export const parseViewPose = (body: unknown): ViewPose => parseMessage(viewPoseSchema, body, 'view pose');

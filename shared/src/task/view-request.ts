// A request for one rendered view of a scene model (remote rendering: a device asks its edge over HTTP),
// its validation, and the HTTP route that carries it: the camera as a camera-to-world matrix or an orbit
// pose, the image size, and whether the answer is the colour or the depth image. A bad field fails with a
// ConfigError naming it.

import { z } from 'zod';
import { ConfigError } from '../errors.js';
import { parseConfig } from '../config/parse-config.js';

/** Largest image a render request may ask for (width × height): a render runs on the answering process's CPU. */
export const MAX_VIEW_PIXELS = 1024 * 1024;

/**
 * Farthest a camera may stand from the scene's origin along any axis (an orbit's radius too): scenes span a
 * few units, and a camera at 1e300 renders nothing while rays from it lose every digit to rounding.
 */
export const MAX_VIEW_TRANSLATION = 1e6;

/** Adds an issue to `context` for each axis on which a camera-to-world matrix stands past MAX_VIEW_TRANSLATION. */
export function checkViewTranslation(m: readonly (readonly number[])[], context: z.RefinementCtx): void {
  for (let axis = 0; axis < 3; axis++) {
    if (Math.abs(m[axis][3]) <= MAX_VIEW_TRANSLATION) continue;
    context.addIssue({
      code: 'custom',
      path: ['cameraToWorld', axis, 3],
      message: `the camera stands at ${m[axis][3]} on axis ${axis}, farther than ${MAX_VIEW_TRANSLATION} from the origin`,
    });
  }
}

/**
 * The edge's render route: POST a ViewRequest as JSON with `Authorization: Bearer <device token>`; the answer
 * is `image/png` with the rendered model's version and the render time in these headers.
 */
export const VIEW_RENDER_ROUTE = {
  path: '/render',
  versionHeader: 'x-strata-model-version',
  secondsHeader: 'x-strata-render-seconds',
} as const;

/** zod refuses NaN and ±Infinity in numbers. */
const finite = z.number();
const row = z.tuple([finite, finite, finite, finite]);

export const viewRequestSchema = z
  .object({
    width: z.number().int().positive(),
    height: z.number().int().positive(),
    /** Horizontal field of view in degrees. */
    fovXDegrees: z.number().gt(0).lt(180),
    /**
     * Camera-to-world transform, 4 rows of 4 (as `transform_matrix` in a NeRF `transforms.json`): the rotation
     * columns are the camera's axes (it looks down its -z axis, +y up), the last column its centre.
     */
    cameraToWorld: z.tuple([row, row, row, row]).optional(),
    /** A camera on a sphere around `target` (default the origin) looking at it, world z up; angles in degrees. */
    orbit: z
      .object({
        azimuthDegrees: finite,
        /** Strictly between -90 and 90: straight above or below, "up" is undefined. */
        elevationDegrees: z.number().gt(-90).lt(90),
        radius: z.number().positive().max(MAX_VIEW_TRANSLATION),
        target: z.tuple([finite, finite, finite]).optional(),
      })
      .strict()
      .optional(),
    /** Answer with the depth image (grey: near light, far dark, empty white) instead of the colour image. */
    depth: z.boolean().default(false),
  })
  .strict()
  .superRefine((request, context) => {
    if ((request.cameraToWorld === undefined) === (request.orbit === undefined)) {
      context.addIssue({ code: 'custom', path: ['cameraToWorld'], message: 'give exactly one of cameraToWorld (a 4x4 matrix) and orbit' });
    }
    if (request.width * request.height > MAX_VIEW_PIXELS) {
      context.addIssue({
        code: 'custom',
        path: ['width'],
        message: `${request.width} x ${request.height} is ${request.width * request.height} pixels, more than ${MAX_VIEW_PIXELS}`,
      });
    }
    const m = request.cameraToWorld;
    if (!m) return;
    if (m[3][0] !== 0 || m[3][1] !== 0 || m[3][2] !== 0 || m[3][3] !== 1) {
      context.addIssue({ code: 'custom', path: ['cameraToWorld', 3], message: 'the last row must be [0, 0, 0, 1]' });
    }
    checkViewTranslation(m, context);
    const det =
      m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) -
      m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
      m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
    // A singular rotation gives rays with no direction (NaN pixels).
    if (!(Math.abs(det) > 1e-9)) context.addIssue({ code: 'custom', path: ['cameraToWorld'], message: 'the rotation part is singular' });
  });

export type ViewRequest = z.output<typeof viewRequestSchema>;
/** What a client sends (`depth` may be left out). */
export type ViewRequestInput = z.input<typeof viewRequestSchema>;

/** A parsed JSON body as a ViewRequest; a ConfigError names the first bad fields. */
export function parseViewRequest(body: unknown): ViewRequest {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new ConfigError(`invalid render request: the body must be a JSON object, got ${JSON.stringify(body)?.slice(0, 80)}`);
  }
  return parseConfig(viewRequestSchema, body, 'render request');
}

// What the page and its Web Worker say to each other: the page starts and stops the device; the worker
// reports what the device is doing and hands back the private state the page persists.

import type { DevicePrivateState } from '@strata/tasks/browser';

export interface DeviceSettings {
  readonly nodeId: string;
  readonly region: string;
  readonly edgeUrl: string;
  readonly token: string;
  /** Kept across reloads, so the edge resumes the same session. */
  readonly sessionId: string;
  readonly compression: 'float32' | 'float16' | 'int8';
}

export type PageToWorker =
  | {
      readonly kind: 'start';
      readonly settings: DeviceSettings;
      readonly data: unknown;
      readonly state: DevicePrivateState | null;
      /** What the device had done before this load (kept across reloads): the worker counts on from it. */
      readonly progress: DeviceProgress | null;
    }
  | { readonly kind: 'stop' };

export interface DeviceProgress {
  /** The round of the last training (0 before any). */
  readonly round: number;
  readonly trainings: number;
  readonly evaluations: number;
  readonly resyncs: number;
  readonly bytesDown: number;
  readonly bytesUp: number;
  /** Mean training loss per sample of the last training. */
  readonly loss: number | null;
  /** Work units a second of the last training (`speedUnit`: BPR triples, or rays for the voxel grid). */
  readonly speed: number | null;
  readonly speedUnit: 'triples' | 'rays' | null;
}

export type WorkerToPage =
  | { readonly kind: 'connected' | 'disconnected' | 'stopped' }
  /** The device built from its data: its task and what it holds, in a line. */
  | { readonly kind: 'device'; readonly task: string; readonly summary: string }
  | { readonly kind: 'progress'; readonly progress: DeviceProgress }
  | { readonly kind: 'state'; readonly state: DevicePrivateState }
  | { readonly kind: 'error'; readonly message: string };

// The tiny federated Gaussian run the daemon tests share: the procedural scene at 24x24 over 2 devices, a few
// hundred Gaussians in a scaffold of 1,000 rows, and the run settings the task needs from the coordinator (a
// lossless downlink, per-row clipping off). Every daemon of the run is given the same task arguments.

/** The task as every daemon of the run builds it (`--task`, its options, the seed). */
export const GAUSSIAN_TASK_ARGS: readonly string[] = [
  '--task',
  'radiance/gaussians',
  '--seed',
  '3',
  ...['procedural=true', 'imageRes=24', 'devices=2', 'initialCount=300', 'capacity=1000'].flatMap((o) => ['--task-option', o]),
];

/** The coordinator's run settings the task needs: κ1 2 images a round per device, lossless downlink, no clipping. */
export const GAUSSIAN_RUN_ARGS: readonly string[] = [
  ...GAUSSIAN_TASK_ARGS,
  '--kappa1',
  '2',
  '--eval-every',
  '0',
  '--downlink',
  'float32',
  '--downlink-rows',
  '1',
  '--clip-factor',
  '0',
];

/** The same run with the cloud's Adam over the devices' gradients (`combineChanges=serverAdam`), for every daemon. */
export const SERVER_ADAM_ARGS: readonly string[] = ['--task-option', 'combineChanges=serverAdam'];

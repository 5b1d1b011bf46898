// Radiance-field tasks: scene data (Blender loader, procedural scenes), the voxel-grid model and its
// hand-written kernels, training (centralized and federated), rendering and evaluation.
export * from './model/grid-geometry.js';
export * from './model/spherical-harmonics.js';
export * from './model/march-settings.js';
export * from './model/voxel-grid.js';
export * from './data/camera.js';
export * from './data/scene-dataset.js';
export * from './data/image-resample.js';
export * from './data/png-file.js';
export * from './data/load-blender-scene.js';
export * from './data/procedural-scene.js';
export type * from './kernels/ray-set.js';
export * from './kernels/build-ray-set.js';
export * from './kernels/gradient-buffers.js';
export * from './kernels/ray-march-kernel.js';
export * from './train/occupancy.js';
export * from './train/sparse-adam.js';
export * from './train/thread-barrier.js';
export * from './train/trainer-thread.js';
export * from './train/grid-trainer.js';
export * from './train/centralized-training.js';
export * from './render/image-metrics.js';
export * from './render/grid-renderer.js';
export * from './render/evaluate-views.js';

// Recommender devices built from their own data (browser devices), and the private state they keep.
export {
  RECSYS_DEVICE_TASKS,
  recsysDeviceData,
  recsysDeviceDataSchema,
  recsysDeviceFromData,
  type RecsysDataDevice,
  type RecsysDeviceData,
} from './recsys-device-data.js';
export { restorePrivateArrays, type DevicePrivateState, type RestorableDevice } from './device-private-state.js';

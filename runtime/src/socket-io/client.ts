// A device's side of the socket.io link alone (no server, no Redis): what a device process imports.
export { SocketIoTransportClient, type SocketIoClientOptions } from './socket-io-client.js';
export { DEFAULT_LINK_LIMITS, type LinkLimits } from './link-limits.js';
export { AuthenticationError, LinkLimitError } from './transport-errors.js';

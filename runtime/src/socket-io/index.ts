// The socket.io implementation of the transport interfaces: server, device sessions, client, link limits.
export { SocketIoTransportServer, type SocketIoServerOptions, type TransportRefusal } from './socket-io-server.js';
export { SocketIoTransportClient, type SocketIoClientOptions } from './socket-io-client.js';
export { DEFAULT_LINK_LIMITS, type LinkLimits } from './link-limits.js';
export { sameSecret, type HandshakeCredentials, type HandshakeVerifier } from './handshake.js';
export { AuthenticationError, LinkLimitError } from './transport-errors.js';

/** The gRPC server's library fallbacks (a node passes its config's), apart from grpc-js so config reads them cheaply. */
export const GRPC_SERVER_DEFAULTS = { host: 'localhost', shutdownGraceMs: 2_000, maxMessageBytes: 16 * 1024 * 1024 } as const;

export { formatBytes } from '../core/bytes.js';

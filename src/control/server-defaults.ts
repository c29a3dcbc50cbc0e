/** The gRPC server's library fallbacks (a node passes its config's), apart from grpc-js so config reads them cheaply. */
export const GRPC_SERVER_DEFAULTS = { host: 'localhost', shutdownGraceMs: 2_000 } as const;

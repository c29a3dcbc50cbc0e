/** The gRPC server's library fallbacks (a node passes its config's), apart from grpc-js so config reads them cheaply. */
export const GRPC_SERVER_DEFAULTS = { host: 'localhost', shutdownGraceMs: 2_000, maxMessageBytes: 16 * 1024 * 1024 } as const;

/** "16 MiB", "512 KiB", "100 bytes": a byte limit as people write it. */
export function formatBytes(n: number): string {
  if (n >= 1024 * 1024 && n % (1024 * 1024) === 0) return `${n / (1024 * 1024)} MiB`;
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024} KiB`;
  if (n >= 1_000_000) return `${(n / 1_000_000).toFixed(1)} MB`;
  if (n >= 1_000) return `${(n / 1_000).toFixed(1)} kB`;
  return `${n} bytes`;
}

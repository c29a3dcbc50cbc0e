/**
 * Every setting of a node, with every default in one place (`defaultNodeConfig`). Units are in
 * the names. The CLI and tests override fields; nothing else invents defaults.
 */
export interface NodeConfig {
  /** Partitions instances are hashed into. Fixed for the life of a deployment. */
  partitions: number;
  /** Data directory for the file journal and KV (embedded `--data-dir`); absent = in memory. */
  dataDir?: string;
  /** File journal durability: one fdatasync per group-commit batch ('batch'), per append ('always'), or none. */
  fsync: 'always' | 'batch' | 'never';
  /** Records appended to a partition between full checkpoints (bounds recovery replay). */
  checkpointEveryRecords: number;
  /** Finished instances kept per partition (older ones are forgotten at checkpoints). */
  retainFinishedPerPartition: number;
  /** How long an instance call waits for the owning node to accept it. */
  requestTimeoutMs: number;
  /** Step runtimes. Shell is off unless enabled: it runs arbitrary commands on this host. */
  shellEnabled: boolean;
  /** URL prefixes the Http runtime may call; empty blocks every call. */
  httpAllowList: string[];
  /** Step types that some executor in the deployment runs (lower-case); embedded: its own runtimes. */
  knownStepTypes?: string[];
  logLevel: string;
}

export function defaultNodeConfig(overrides: Partial<NodeConfig> = {}): NodeConfig {
  return {
    partitions: 16,
    fsync: 'batch',
    checkpointEveryRecords: 20_000,
    retainFinishedPerPartition: 10_000,
    requestTimeoutMs: 30_000,
    shellEnabled: false,
    httpAllowList: [],
    logLevel: 'info',
    ...stripUndefined(overrides),
  };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

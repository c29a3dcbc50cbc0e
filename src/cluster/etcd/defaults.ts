/** Defaults of the etcd adapter, apart from the etcd3 import so config can read them cheaply. */
export const ETCD_CLUSTER_DEFAULTS = {
  prefix: '/maestro/',
  leaseTtlMs: 2_000,
  callTimeoutMs: 5_000,
  dialTimeoutMs: 3_000,
  resyncRetryMs: 250,
} as const;

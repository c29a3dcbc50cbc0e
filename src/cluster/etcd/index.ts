import type { Etcd3 } from 'etcd3';
import { EtcdPartitionClaims } from './etcd-claims.js';
import { EtcdMembership } from './etcd-membership.js';
import { createEtcdClient, etcdClusterDefaults, type EtcdClusterOptions, type ResolvedEtcdClusterOptions } from './options.js';

export { EtcdMembership } from './etcd-membership.js';
export { EtcdPartitionClaims } from './etcd-claims.js';
export { etcdClusterDefaults, type EtcdClusterOptions, type ResolvedEtcdClusterOptions } from './options.js';

/**
 * One node's connection to the etcd-backed cluster: its Membership and PartitionClaims share a
 * client and a lease. Use `membership.leave()` (or PartitionManager.stop()) to go gracefully,
 * then `close()`.
 */
export class EtcdCluster {
  readonly options: ResolvedEtcdClusterOptions;
  readonly membership: EtcdMembership;
  readonly claims: EtcdPartitionClaims;
  private readonly client: Etcd3;
  private closed = false;

  constructor(options: EtcdClusterOptions) {
    this.options = etcdClusterDefaults(options);
    this.client = createEtcdClient(this.options);
    const ns = this.client.namespace(this.options.prefix);
    this.membership = new EtcdMembership(ns, this.options);
    this.claims = new EtcdPartitionClaims(ns, this.membership);
  }

  /** Leaves if still joined (revoking the lease), then closes the client. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.membership.leave();
    } finally {
      this.client.close();
    }
  }

  /**
   * Stops keepalives and closes the client without revoking or deleting: this node's records
   * live until its lease expires, exactly as after kill -9. For failover tests and drills.
   */
  async abandon(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.membership.abandon();
    this.client.close();
  }
}

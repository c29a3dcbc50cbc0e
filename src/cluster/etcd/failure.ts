/** What a failed etcd call means for the cluster: refused access (not retryable) or etcd unavailable. */
import { EtcdAuthenticationFailedError, EtcdPermissionDeniedError, GRPCUnauthenticatedError } from 'etcd3';
import { ClusterAccessError, ClusterUnavailableError } from '../errors.js';

/** Wraps `cause` of `operation`; an error already wrapped is returned as it is. */
export function etcdFailure(operation: string, cause: unknown): ClusterAccessError | ClusterUnavailableError {
  if (cause instanceof ClusterAccessError || cause instanceof ClusterUnavailableError) return cause;
  if (cause instanceof EtcdAuthenticationFailedError) {
    return new ClusterAccessError(operation, 'authentication failed (wrong etcd user or password)', { cause });
  }
  if (cause instanceof EtcdPermissionDeniedError || cause instanceof GRPCUnauthenticatedError) {
    return new ClusterAccessError(
      operation,
      'permission denied (etcd has authentication enabled: configure an etcd user whose role may read and write the cluster prefix)',
      { cause },
    );
  }
  return new ClusterUnavailableError(operation, { cause });
}

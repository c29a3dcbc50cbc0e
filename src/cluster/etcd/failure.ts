/** What a failed etcd call means for the cluster: refused access (not retryable) or etcd unavailable. */
import { EtcdAuthenticationFailedError, EtcdPermissionDeniedError, GRPCUnauthenticatedError } from 'etcd3';
import { ClusterAccessError, ClusterUnavailableError } from '../errors.js';

/** Wraps `cause` of `operation`; an error already wrapped is returned as it is. */
export function etcdFailure(operation: string, cause: unknown): ClusterAccessError | ClusterUnavailableError {
  if (cause instanceof ClusterAccessError || cause instanceof ClusterUnavailableError) return cause;
  if (cause instanceof EtcdAuthenticationFailedError) {
    return new ClusterAccessError(operation, 'authentication failed (wrong etcd user or password)', { cause });
  }
  if (cause instanceof Error && cause.message.includes('etcdserver: user name is empty')) {
    return new ClusterAccessError(operation, 'etcd requires authentication and no etcd user was given (configure an etcd user and password)', { cause });
  }
  if (cause instanceof EtcdPermissionDeniedError || cause instanceof GRPCUnauthenticatedError) {
    return new ClusterAccessError(operation, "permission denied (the etcd user's roles must allow reading and writing the cluster prefix)", { cause });
  }
  return new ClusterUnavailableError(operation, { cause });
}

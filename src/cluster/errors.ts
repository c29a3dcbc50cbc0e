import { MaestroError } from '../core/errors.js';

/**
 * Errors of the cluster module. `retryable` says whether the same call can succeed later
 * (etcd reachable again, a new lease granted); none of them is swallowed by the adapters.
 */

/** The coordination store (etcd) could not be reached or answered with an error. */
export class ClusterUnavailableError extends MaestroError {
  override name = 'ClusterUnavailableError';
  constructor(operation: string, options?: { cause?: unknown }) {
    const detail = options?.cause instanceof Error ? `: ${options.cause.message}` : '';
    super('unavailable', `cluster store unavailable during ${operation}${detail}`, {
      ...options,
      retryable: true,
    });
  }
}

/**
 * This node's lease is gone (expired, revoked by the store, or no keepalive answered within the
 * TTL). Every key bound to it — the member key and all partition claims — is gone or about to be;
 * the node must stop acting as owner and join again with a new lease.
 */
export class LeaseLostError extends MaestroError {
  override name = 'LeaseLostError';
  readonly nodeId: string;
  constructor(nodeId: string, reason: string, options?: { cause?: unknown }) {
    super('unavailable', `lease of node ${nodeId} lost: ${reason}`, { ...options, retryable: true });
    this.nodeId = nodeId;
  }
}

/** A call that needs this node's lease (claim, leave) was made before `join` or after `leave`. */
export class NotJoinedError extends MaestroError {
  override name = 'NotJoinedError';
  constructor(operation: string) {
    super('failed_precondition', `${operation}: this node has not joined the cluster (call join first)`, {
      retryable: false,
    });
  }
}

/** A member record read from the store is not what this code writes (foreign or corrupt key). */
export class MalformedMemberError extends MaestroError {
  override name = 'MalformedMemberError';
  constructor(key: string, problem: string) {
    super('internal', `member key ${key}: ${problem}`, { retryable: false });
  }
}

/**
 * Another live lease holds this node id's member record: a second process with the same id, or
 * this node's previous run whose lease has not expired yet (retry after the lease TTL).
 */
export class MemberIdInUseError extends MaestroError {
  override name = 'MemberIdInUseError';
  constructor(nodeId: string) {
    super('already_exists', `node id ${nodeId} is held by another live lease (a second process with this id, or a previous run whose lease has not expired yet)`, {
      retryable: true,
    });
  }
}

/**
 * etcd refused this node's credentials or what they allow: a wrong user or password, auth
 * enabled but none configured, or a user without read-write permission on the cluster's key
 * prefix. Retrying cannot help until the configuration (or etcd's users and roles) changes.
 */
export class ClusterAccessError extends MaestroError {
  override name = 'ClusterAccessError';
  constructor(operation: string, detail: string, options?: { cause?: unknown }) {
    super('unauthenticated', `etcd refused access during ${operation}: ${detail}`, { ...options, retryable: false });
  }
}

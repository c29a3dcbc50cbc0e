/** Public surface of the cluster module; adapters are imported from ./etcd/ and ./memory/. */
export type {
  Epoch,
  MemberInfo,
  Membership,
  MembershipView,
  PartitionClaim,
  PartitionClaims,
  Unsubscribe,
} from './port.js';
export { assignPartitions, countMoved, validatePartitionCount, DEFAULT_PARTITIONS, MAX_PARTITIONS } from './placement.js';
export {
  PartitionManager,
  type OwnershipChange,
  type PartitionManagerCounters,
  type PartitionManagerOptions,
  type PartitionOwner,
  type ReleaseReason,
} from './partition-manager.js';
export {
  ClusterUnavailableError,
  LeaseLostError,
  MalformedMemberError,
  MemberIdInUseError,
  NotJoinedError,
} from './errors.js';

/**
 * maestro.v1.ClusterService over a ClusterApi, and ClusterInfo <-> proto both ways (the client
 * turns the response back into the same ClusterInfo the node returned). The server registers it
 * for any api object that has a `clusterInfo` function (embedded and cluster nodes both do).
 */
import { MaestroError } from '../core/errors.js';
import type { ClusterApi, ClusterInfo, EngineApi } from '../workflow/engine-api.js';
import { ClusterMode, type ClusterServiceServer, type GetClusterInfoRequest, type GetClusterInfoResponse } from '../gen/maestro/v1/cluster.js';
import { unaryHandlers } from './handlers.js';
import type { Logger } from '../log/logger.js';

export const CLUSTER_SERVICE = 'maestro.v1.ClusterService';

export function hasClusterInfo(api: EngineApi): api is EngineApi & ClusterApi {
  return typeof (api as Partial<ClusterApi>).clusterInfo === 'function';
}

const MODE_TO_PROTO: Record<ClusterInfo['mode'], ClusterMode> = {
  embedded: ClusterMode.CLUSTER_MODE_EMBEDDED,
  cluster: ClusterMode.CLUSTER_MODE_CLUSTER,
};

export function clusterInfoToProto(info: ClusterInfo): GetClusterInfoResponse {
  return {
    selfNodeId: info.selfNodeId,
    mode: MODE_TO_PROTO[info.mode],
    members: info.members.map((m) => ({ nodeId: m.nodeId, grpcAddress: m.grpcAddress, startedAt: new Date(m.startedAtMs) })),
    partitions: info.partitions.map((p) => ({ partition: p.partition, nodeId: p.nodeId, epoch: p.epoch })),
    health: { ...info.health },
  };
}

export function clusterInfoFromProto(p: GetClusterInfoResponse): ClusterInfo {
  const mode = (Object.keys(MODE_TO_PROTO) as Array<ClusterInfo['mode']>).find((m) => MODE_TO_PROTO[m] === p.mode);
  if (mode === undefined) throw new MaestroError('internal', `server sent an unknown cluster mode (${p.mode})`);
  if (!p.health) throw new MaestroError('internal', 'server sent no node health');
  return {
    selfNodeId: p.selfNodeId,
    mode,
    members: p.members.map((m) => ({ nodeId: m.nodeId, grpcAddress: m.grpcAddress, startedAtMs: m.startedAt?.getTime() ?? 0 })),
    partitions: p.partitions.map((o) => ({ partition: o.partition, nodeId: o.nodeId, epoch: o.epoch })),
    health: {
      ownedPartitions: p.health.ownedPartitions,
      instancesInMemory: p.health.instancesInMemory,
      uptimeMs: p.health.uptimeMs,
      membershipVersion: p.health.membershipVersion,
    },
  };
}

export function clusterService(api: ClusterApi, log: Logger): ClusterServiceServer {
  const unary = unaryHandlers(log);
  return {
    getClusterInfo: unary(async (_req: GetClusterInfoRequest): Promise<GetClusterInfoResponse> => clusterInfoToProto(await api.clusterInfo())),
  };
}

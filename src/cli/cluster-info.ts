/** `maestro cluster`: members, a partition summary per node and the answering node's health. */
import type { ClusterInfo } from '../workflow/engine-api.js';
import type { Command } from './command.js';
import { EXIT_OK } from './errors.js';
import { parseCommandLine } from './options.js';
import { SERVER_OPTION, SERVER_USAGE, serverTarget, withClient } from './remote.js';
import { formatDuration, table } from './render.js';

const UNOWNED = '(unowned)';

interface OwnerSummary {
  nodeId: string;
  count: number;
  minEpoch: number;
  maxEpoch: number;
}

/** Partitions per owner, members first in member order, then any other owner, unowned last. */
export function partitionSummary(info: ClusterInfo): OwnerSummary[] {
  const byNode = new Map<string, OwnerSummary>();
  for (const p of info.partitions) {
    const nodeId = p.nodeId === '' ? UNOWNED : p.nodeId;
    const s = byNode.get(nodeId) ?? { nodeId, count: 0, minEpoch: p.epoch, maxEpoch: p.epoch };
    s.count += 1;
    s.minEpoch = Math.min(s.minEpoch, p.epoch);
    s.maxEpoch = Math.max(s.maxEpoch, p.epoch);
    byNode.set(nodeId, s);
  }
  const rank = (id: string): number => {
    if (id === UNOWNED) return Infinity;
    const i = info.members.findIndex((m) => m.nodeId === id);
    return i < 0 ? info.members.length : i;
  };
  return [...byNode.values()].sort((a, b) => rank(a.nodeId) - rank(b.nodeId) || a.nodeId.localeCompare(b.nodeId));
}

export function clusterReport(info: ClusterInfo, nowMs = Date.now()): string[] {
  const h = info.health;
  const members = table(
    ['MEMBER', 'ADDRESS', 'STARTED', 'UP'],
    info.members.map((m) => [
      m.nodeId === info.selfNodeId ? `${m.nodeId} (self)` : m.nodeId,
      m.grpcAddress || '-',
      m.startedAtMs > 0 ? new Date(m.startedAtMs).toISOString() : '-',
      m.startedAtMs > 0 ? formatDuration(nowMs - m.startedAtMs) : '-',
    ]),
  );
  const owners = table(
    ['OWNER', 'PARTITIONS', 'MIN EPOCH', 'MAX EPOCH'],
    partitionSummary(info).map((s) => [s.nodeId, String(s.count), String(s.minEpoch), String(s.maxEpoch)]),
  );
  const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
  return [
    `cluster: mode ${info.mode}, ${plural(info.members.length, 'member')}, ${plural(info.partitions.length, 'partition')}; answered by ${info.selfNodeId}`,
    '',
    ...members,
    '',
    ...owners,
    '',
    `health of ${info.selfNodeId}: ${plural(h.ownedPartitions, 'partition')} owned, ${plural(h.instancesInMemory, 'instance')} in memory, ` +
      `up ${formatDuration(h.uptimeMs)}, membership version ${h.membershipVersion}`,
  ];
}

export const clusterCommand: Command = {
  name: 'cluster',
  group: 'client',
  summary: 'show cluster members, partition owners with epochs, and node health',
  usage: ['maestro cluster [--json]', '  --json               print the whole cluster info (every partition) as JSON', SERVER_USAGE],
  async run(argv, io) {
    const { values } = parseCommandLine('cluster', argv, { ...SERVER_OPTION, json: { type: 'boolean', default: false } }, []);
    return withClient(serverTarget(values, io), io, async (client) => {
      const info = await client.clusterInfo();
      if (values.json) io.out(JSON.stringify(info, null, 2));
      else for (const line of clusterReport(info)) io.out(line);
      return EXIT_OK;
    });
  },
};

/**
 * List-instances across a deployment: asks every partition's host (wherever it lives) for the
 * summaries it holds, over the transport, a bounded number of partitions at a time. The same
 * code serves the embedded node and a cluster; a partition that is moving is retried by the
 * transport until its new owner answers.
 */
import { partitionAddress } from '../core/partition.js';
import type { InstanceSummary } from '../core/instance/view.js';
import type { Transport } from '../transport/port.js';
import type { InstanceIndex } from './engine.js';
import type { ListMessage } from './messages.js';
import { parseSummariesReply } from './reply-schemas.js';

export class PartitionIndex implements InstanceIndex {
  constructor(
    private readonly transport: Transport,
    private readonly partitions: number,
    private readonly timeoutMs: number,
    private readonly parallel = 32,
  ) {}

  async list(filter: { workflowId?: string; status?: string }): Promise<InstanceSummary[]> {
    const msg: ListMessage = { type: 'List', workflowId: filter.workflowId, status: filter.status };
    const out: InstanceSummary[] = [];
    let next = 0;
    const worker = async () => {
      while (next < this.partitions) {
        const p = next++;
        const to = partitionAddress(p);
        const got = parseSummariesReply(to, await this.transport.request(to, msg, { timeoutMs: this.timeoutMs }));
        out.push(...got);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.parallel, this.partitions) }, worker));
    return out;
  }
}

/**
 * Instance ids: increasing per workflow, allocated in blocks so a start costs no KV write.
 * A node reserves `blockSize` ids at a time with one CAS on `seq/<workflowId>` and hands them
 * out locally; concurrent starts share one refill. Ids stay unique across nodes and restarts;
 * a restart or a second node leaves gaps (an id is never reused).
 */
import { MaestroError } from '../core/errors.js';
import { CasConflictError, getChecked, updateKv, type KvStore } from '../store/port.js';
import { checkIdCounter, checkRequestInstance } from './kv-schemas.js';

interface Block {
  next: number;
  end: number;
  refill?: Promise<void>;
}

export class IdAllocator {
  private readonly blocks = new Map<string, Block>();

  constructor(private readonly kv: KvStore, private readonly blockSize = 100) {}

  async next(workflowId: string): Promise<number> {
    let b = this.blocks.get(workflowId);
    if (!b) {
      b = { next: 1, end: 0 };
      this.blocks.set(workflowId, b);
    }
    while (b.next > b.end) {
      b.refill ??= this.refill(workflowId, b).finally(() => (b!.refill = undefined));
      await b.refill;
    }
    return b.next++;
  }

  /** A new instance id, or the one an earlier start with the same request id got. */
  async forRequest(workflowId: string, requestId?: string): Promise<number> {
    const reqKey = requestId ? `req/${workflowId}/${requestId}` : undefined;
    if (reqKey) {
      const seen = await getChecked(this.kv, reqKey, checkRequestInstance);
      if (seen) return seen.value;
    }
    const id = await this.next(workflowId);
    if (!reqKey) return id;
    try {
      await this.kv.put(reqKey, id, 0);
      return id;
    } catch (e) {
      if (!(e instanceof CasConflictError)) throw e;
      const winner = await getChecked(this.kv, reqKey, checkRequestInstance);
      if (!winner) throw new MaestroError('unavailable', `request id ${requestId} raced; retry`, { retryable: true });
      return winner.value;
    }
  }

  private async refill(workflowId: string, b: Block): Promise<void> {
    const { value: end } = await updateKv<number>(this.kv, `seq/${workflowId}`, (cur) => (cur ?? 0) + this.blockSize, checkIdCounter);
    b.next = end - this.blockSize + 1;
    b.end = end;
  }
}

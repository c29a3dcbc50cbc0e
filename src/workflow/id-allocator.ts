/**
 * Instance ids: increasing per workflow, allocated in blocks so a start costs no KV write.
 * A node reserves `blockSize` ids at a time with one CAS on `seq/<workflowId>` and hands them
 * out locally; concurrent starts share one refill. Ids stay unique across nodes and restarts;
 * a restart or a second node leaves gaps (an id is never reused).
 */
import { updateKv, type KvStore } from '../store/port.js';
import { checkIdCounter } from './kv-schemas.js';

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

  private async refill(workflowId: string, b: Block): Promise<void> {
    const { value: end } = await updateKv<number>(this.kv, `seq/${workflowId}`, (cur) => (cur ?? 0) + this.blockSize, checkIdCounter);
    b.next = end - this.blockSize + 1;
    b.end = end;
  }
}

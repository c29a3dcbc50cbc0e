/**
 * A node's view of the saturated tags, for the tag-permit fast path (MachineContext.permitFastPath).
 *
 * An instant runtime step (NoOp) holds a permit for no time, inside one batch of its actor. It
 * may skip the round trip to the permit manager when this node knows none of its tags is
 * saturated. The manager publishes its saturated tags on PERMITS_HOT_TOPIC whenever they change
 * and at every reconciliation; this cache holds the latest set (asked of the manager at start).
 * Until it has one, nothing takes the fast path.
 *
 * Deliberate difference from Maestro: the set is as of the last publish, so a zero-duration step
 * can slip past a tag that saturated a moment ago (for up to one message delay; for a lost
 * publish, until the manager's next reconciliation).
 */
import { PERMITS_HOT_TOPIC, PERMITS_KEY, type PermitTag } from '../core/permits/index.js';
import type { Subscription, Transport } from '../transport/port.js';
import type { Logger } from '../log/logger.js';
import { hotReply } from './permit-messages.js';

/** How many times the initial set is asked for (the manager's periodic publish also fills it). */
const FETCH_ATTEMPTS = 60;
const FETCH_DELAY_MS = 1_000;

export class PermitCache {
  private hot: ReadonlySet<string> = new Set();
  private ready = false;
  private sub: Subscription | undefined;
  private closed = false;

  constructor(
    private readonly transport: Transport,
    /** Whether a step type's runtime is instant on this node (lower-case type). */
    private readonly instant: (stepType: string) => boolean,
    private readonly log: Logger,
    private readonly requestTimeoutMs: number,
  ) {}

  /** Subscribes and asks the manager for its current set in the background (it may not be hosted yet). */
  open(): this {
    this.sub = this.transport.subscribe(PERMITS_HOT_TOPIC, (body) => this.set((body as { tags: string[] }).tags));
    this.fetch(1);
    return this;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.sub?.close();
  }

  /** MachineContext.permitFastPath. */
  fastPath(stepType: string, tags: readonly PermitTag[]): boolean {
    if (!this.ready || !this.instant(stepType.toLowerCase())) return false;
    for (const t of tags) if (t.inlineLimit === 0 || this.hot.has(t.name)) return false;
    return true;
  }

  /** MachineContext.permitTagHot: saturated, or unknown while no set arrived yet. */
  isHot(tag: string): boolean {
    return !this.ready || this.hot.has(tag);
  }

  private set(tags: string[]): void {
    this.hot = new Set(tags);
    this.ready = true;
  }

  private fetch(attempt: number): void {
    if (this.closed || this.ready) return;
    this.transport.request(PERMITS_KEY, { type: 'Hot' }, { timeoutMs: this.requestTimeoutMs }).then(
      (reply) => {
        if (!this.ready) this.set(hotReply.parse(reply).tags);
      },
      (err: unknown) => {
        if (this.closed || this.ready) return;
        if (attempt >= FETCH_ATTEMPTS) {
          this.log.warn({ err }, 'saturated tags not fetched from the permit manager; the fast path waits for its next publish');
          return;
        }
        setTimeout(() => this.fetch(attempt + 1), FETCH_DELAY_MS).unref?.();
      },
    );
  }
}

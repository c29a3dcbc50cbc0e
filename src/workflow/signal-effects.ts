/**
 * The instance actor's side of step signals (core/instance/signals.ts): the `signal-wait`,
 * `signal-unwait` and `signal-announce` commands, run after their event is durable, as requests
 * to the signal stores (`~signal/<name>`). Answers come back to the actor's own mailbox, so they
 * are journaled like any other input:
 * - a Wait answered `matched` becomes a SignalMatched message (the store sends the same notice
 *   when a signal arrives later);
 * - an Announce's answer becomes a SignalAnnounced message (seq id; announce time, or null for a
 *   duplicate).
 * Waits and announces are retried while their step still waits for them (a store's owner may
 * be moving); a recovered instance sends them again (idempotent at the store: a wait by its
 * waiter id, an announce by name + params, a repeat answering `duplicate`). Unwaits are best
 * effort: a stale match is ignored by the instance anyway.
 */
import { signalKeyOf, type SignalInstance, type SignalMatchedMessage, type SignalStoreMessage } from '../core/signals/model.js';
import type { SignalAnnounceRequest, SignalWaitRequest } from '../core/instance/commands.js';
import type { InstanceState } from '../core/instance/state.js';
import { announceApplies } from '../core/instance/signals.js';
import { isRetryable } from '../retry/index.js';
import type { Transport } from '../transport/port.js';
import { announceReply, waitReply } from './signal-messages.js';

/** The actor's own note that output `index` of a step attempt was announced. */
export interface SignalAnnouncedMessage {
  type: 'SignalAnnounced';
  runId: number;
  stepId: string;
  attempt: number;
  index: number;
  signalId: number;
  announceTimeMs: number | null;
}

export interface SignalEffectsHost {
  readonly key: string;
  readonly transport: Transport;
  state(): InstanceState | undefined;
  stopped(): boolean;
  post(msg: SignalMatchedMessage | SignalAnnouncedMessage): Promise<unknown>;
  retryDelayMs(attempt: number): number;
  failed(err: unknown, context: Record<string, unknown>, msg: string): void;
}

/** Announce failures are logged on the first try and then every this many. */
const LOG_EVERY = 10;

export class SignalEffects {
  constructor(private readonly h: SignalEffectsHost) {}

  wait(waits: readonly SignalWaitRequest[], attempt = 1): void {
    for (const w of waits) this.waitOne(w, attempt);
  }

  private waitOne(w: SignalWaitRequest, attempt: number): void {
    if (this.h.stopped()) return;
    const msg: SignalStoreMessage = { type: 'Wait', waiter: w.waiter, match: w.match };
    this.h.transport.request(signalKeyOf(w.name), msg).then(
      (reply) => {
        const matched = waitReply.parse(reply).matched;
        if (matched) this.matched(w, matched);
      },
      (err: unknown) => {
        if (this.h.stopped()) return;
        const s = this.h.state();
        const waiting = s !== undefined && pendingAt(s, w);
        if (waiting && isRetryable(err)) {
          const t = setTimeout(() => this.waitOne(w, attempt + 1), this.h.retryDelayMs(attempt));
          t.unref?.();
          return;
        }
        if (waiting) this.h.failed(err, { signal: w.name, stepId: w.waiter.stepId, index: w.waiter.index }, 'signal wait not registered; the step waits on and registers again when the instance recovers');
      },
    );
  }

  private matched(w: SignalWaitRequest, signal: SignalInstance): void {
    const msg: SignalMatchedMessage = { type: 'SignalMatched', runId: w.waiter.runId, stepId: w.waiter.stepId, index: w.waiter.index, signal };
    this.h.post(msg).catch((err: unknown) => this.h.failed(err, { signal: w.name, stepId: w.waiter.stepId }, 'signal match not journaled; the wait is registered again when the instance recovers'));
  }

  unwait(waits: ReadonlyArray<Pick<SignalWaitRequest, 'name' | 'waiter'>>): void {
    for (const w of waits) {
      const msg: SignalStoreMessage = { type: 'Unwait', waiter: w.waiter };
      this.h.transport.request(signalKeyOf(w.name), msg).catch((err: unknown) =>
        this.h.failed(err, { signal: w.name, stepId: w.waiter.stepId, index: w.waiter.index }, 'signal unwait failed (a later match for it is ignored)'),
      );
    }
  }

  announce(announces: readonly SignalAnnounceRequest[], attempt = 1): void {
    for (const a of announces) this.announceOne(a, attempt);
  }

  private announceOne(a: SignalAnnounceRequest, attempt: number): void {
    if (this.h.stopped()) return;
    const msg: SignalStoreMessage = { type: 'Announce', signal: a.signal, source: a.source };
    this.h.transport.request(signalKeyOf(a.name), msg).then(
      (reply) => {
        const r = announceReply.parse(reply);
        const done: SignalAnnouncedMessage = {
          type: 'SignalAnnounced',
          runId: a.runId,
          stepId: a.stepId,
          attempt: a.attempt,
          index: a.index,
          signalId: r.instance.seqId,
          announceTimeMs: r.duplicate ? null : r.instance.createTimeMs,
        };
        this.h.post(done).catch((err: unknown) => this.h.failed(err, { signal: a.name, stepId: a.stepId }, 'signal announce result not journaled; announced again when the instance recovers'));
      },
      (err: unknown) => {
        if (this.h.stopped()) return;
        const s = this.h.state();
        if (!s || !announceApplies(s, a)) return; // the step moved on (stopped, killed, timed out)
        // Maestro retries output signals until they are sent: the step stays FINISHING (stop or kill it to give up).
        if (attempt === 1 || attempt % LOG_EVERY === 0) {
          this.h.failed(err, { signal: a.name, stepId: a.stepId, index: a.index, attempt }, 'signal output not announced yet; retrying (the step stays FINISHING)');
        }
        const t = setTimeout(() => this.announceOne(a, attempt + 1), this.h.retryDelayMs(attempt));
        t.unref?.();
      },
    );
  }
}

/** The dependency a wait stands for is still PENDING in the current run. */
function pendingAt(s: InstanceState, w: SignalWaitRequest): boolean {
  const st = s.steps[w.waiter.stepId];
  return s.runId === w.waiter.runId && st?.status === 'WAITING_FOR_SIGNALS' && st.signalDependencies?.dependencies[w.waiter.index]?.status === 'PENDING';
}

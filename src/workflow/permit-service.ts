/**
 * The tag-permit manager: a service actor kind (service-actor.ts) keyed `~permits/all`, one per
 * deployment (core/permits/model.ts says why one). Pure logic in core/permits; this file turns
 * messages into its events and performs its effects.
 *
 * - Acquire/release: instances send one Permits message per batch; requests already known are
 *   dropped before journaling (idempotent), the reply lists the acquiring holders that hold now.
 * - Grants of waiting requests are effects: a PermitGrant to the instance (idempotent there),
 *   whose answer says whether it still wants them; 'none' (or an instance that is gone) releases.
 * - No leak: after a takeover every holder is told again (`resume`), and every `reconcileMs` the
 *   manager asks each instance with holders or waiters which of them it still holds or waits for
 *   (PermitCheck) and releases the rest. So a release lost with a crashed node, or an instance
 *   that vanished, frees its permits within one reconciliation.
 * - The saturated tags are published on PERMITS_HOT_TOPIC whenever they change and at every
 *   reconciliation (publishes are fire-and-forget): nodes cache them for the fast path.
 */
import { NotFoundError, ValidationError } from '../core/errors.js';
import { checkPermitTag, listTags, PERMITS_HOT_TOPIC, PERMITS_KEY_PREFIX, permitReducer, tagInfo, type PermitEffect, type PermitEvent, type PermitState } from '../core/permits/index.js';
import { isRetryable } from '../retry/index.js';
import { parsePermitMessage, type PermitMessage, type PermitsReply, type TagPermitsReply } from './permit-messages.js';
import type { ServiceContext, ServiceKind } from './service-actor.js';

/** Posted by the manager to itself only (never on the wire): holders their instance does not want. */
interface DropMessage {
  type: 'Drop';
  holders: string[];
}
/** Posted by the manager's own timer: reconcile and republish. */
interface TickMessage {
  type: 'Tick';
}
type Msg = PermitMessage | DropMessage | TickMessage;

export interface PermitServiceDeps {
  requestTimeoutMs: number;
  /** How often holders and waiters are checked with their instances (Maestro scans every 30 s). */
  reconcileMs: number;
}

const GRANT_ATTEMPTS = 5;
/** Instances asked at once by a reconciliation. */
const CHECK_CONCURRENCY = 32;

export function permitServiceKind(deps: PermitServiceDeps): ServiceKind<PermitState, PermitEvent, PermitEffect, Msg> {
  /** Actors with a running reconciliation timer (one per actor incarnation). */
  const ticking = new WeakSet<ServiceContext>();
  const reconciling = new WeakSet<ServiceContext>();

  const ensureTicker = (ctx: ServiceContext): void => {
    if (ticking.has(ctx)) return;
    ticking.add(ctx);
    const tick = (): void => {
      const t = setTimeout(() => {
        ctx.post({ type: 'Tick' } satisfies Msg).then(tick, (err: unknown) => {
          // the actor stopped (its partition moved): its next incarnation ticks
          ctx.log.debug({ err, key: ctx.key }, 'permit manager ticker stopped');
        });
      }, deps.reconcileMs);
      t.unref?.();
    };
    tick();
  };

  const drop = (ctx: ServiceContext, holders: string[]): void => {
    if (holders.length === 0) return;
    ctx.post({ type: 'Drop', holders } satisfies Msg).catch((err: unknown) => ctx.log.warn({ err, key: ctx.key }, 'permits not released; the next reconciliation retries'));
  };

  /** Asks every instance with holders or waiters which it still wants; releases the others. */
  const reconcile = async (ctx: ServiceContext, s: PermitState): Promise<void> => {
    if (reconciling.has(ctx)) return;
    reconciling.add(ctx);
    try {
      const byInstance = new Map<string, string[]>();
      const add = (key: string, holder: string) => {
        const list = byInstance.get(key);
        if (list) list.push(holder);
        else byInstance.set(key, [holder]);
      };
      for (const r of Object.values(s.holders)) add(r.instanceKey, r.holder);
      for (const r of s.waiting) add(r.instanceKey, r.holder);
      const work = [...byInstance];
      const worker = async () => {
        for (let next = work.shift(); next; next = work.shift()) {
          const [key, holders] = next;
          try {
            const reply = (await ctx.transport.request(key, { type: 'PermitCheck', holders }, { timeoutMs: deps.requestTimeoutMs })) as { live?: unknown; waiting?: unknown };
            const live = new Set(Array.isArray(reply?.live) ? (reply.live as string[]) : holders);
            drop(ctx, holders.filter((h) => !live.has(h)));
            // Granted here but still waiting there: the grant was lost on the way (the instance's
            // owner moved or was paused while it travelled). Tell it again.
            const waiting = Array.isArray(reply?.waiting) ? (reply.waiting as string[]) : [];
            for (const h of waiting) {
              const r = s.holders[h];
              if (r) await grant(ctx, { f: 'grant', instanceKey: r.instanceKey, holder: r.holder, stepId: r.stepId, attempt: r.attempt });
            }
          } catch (err) {
            if (err instanceof NotFoundError) drop(ctx, holders);
            else ctx.log.debug({ err, key: ctx.key, instance: key }, 'permit check failed; the next reconciliation asks again');
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(CHECK_CONCURRENCY, work.length) }, worker));
    } finally {
      reconciling.delete(ctx);
    }
  };

  const grant = async (ctx: ServiceContext, f: PermitEffect & { f: 'grant' }): Promise<unknown> => {
    for (let attempt = 1; ; attempt++) {
      try {
        const answer = await ctx.transport.request(f.instanceKey, { type: 'PermitGrant', holder: f.holder, stepId: f.stepId, attempt: f.attempt }, { timeoutMs: deps.requestTimeoutMs });
        if (answer === 'none') drop(ctx, [f.holder]);
        return answer;
      } catch (err) {
        if (isRetryable(err) && attempt < GRANT_ATTEMPTS) {
          await new Promise((r) => setTimeout(r, 200 * attempt).unref?.());
          continue;
        }
        if (!isRetryable(err)) drop(ctx, [f.holder]); // the instance is gone or refuses: nothing holds these
        else ctx.log.warn({ err, key: ctx.key, holder: f.holder }, 'permit grant not delivered; the next reconciliation settles it');
        return 'none';
      }
    }
  };

  return {
    prefix: PERMITS_KEY_PREFIX,
    reducer: permitReducer,
    parse: parsePermitMessage,
    toEvents(ctx, s, msg): PermitEvent[] {
      ensureTicker(ctx);
      const atMs = ctx.now();
      switch (msg.type) {
        case 'Permits': {
          const events: PermitEvent[] = [];
          const release = (msg.release ?? []).filter((h) => s.holders[h] !== undefined || s.waiting.some((w) => w.holder === h));
          if (release.length > 0) events.push({ t: 'release', atMs, holders: release });
          const gone = new Set(release);
          const waiting = new Set(s.waiting.map((w) => w.holder));
          const reqs = (msg.acquire ?? []).filter((r) => (s.holders[r.holder] === undefined || gone.has(r.holder)) && !waiting.has(r.holder));
          if (reqs.length > 0) events.push({ t: 'acquire', atMs, reqs });
          return events;
        }
        case 'Drop': {
          const holders = msg.holders.filter((h) => s.holders[h] !== undefined || s.waiting.some((w) => w.holder === h));
          return holders.length > 0 ? [{ t: 'release', atMs, holders }] : [];
        }
        case 'SetTagPermit':
          checkPermitTag(msg.tag);
          if (!Number.isSafeInteger(msg.maxAllowed) || msg.maxAllowed < 0) throw new ValidationError('max_allowed', `must be an integer >= 0, got ${msg.maxAllowed}`);
          return s.limits[msg.tag] === msg.maxAllowed ? [] : [{ t: 'limit', atMs, tag: msg.tag, max: msg.maxAllowed }];
        case 'DeleteTagPermit':
          if (s.limits[msg.tag] === undefined) throw new NotFoundError(`tag permit ${msg.tag} not found (no limit is set for it)`);
          return [{ t: 'limit', atMs, tag: msg.tag, max: null }];
        case 'Tick':
          reconcile(ctx, s).catch((err: unknown) => ctx.log.warn({ err, key: ctx.key }, 'permit reconciliation failed'));
          ctx.transport.publish(PERMITS_HOT_TOPIC, { tags: Object.keys(s.hot) });
          return [];
        case 'TagPermits':
        case 'Hot':
          return [];
      }
    },
    async run(ctx, f) {
      ensureTicker(ctx);
      switch (f.f) {
        case 'grant':
          return grant(ctx, f);
        case 'hot':
          ctx.transport.publish(PERMITS_HOT_TOPIC, { tags: f.tags });
          return undefined;
      }
    },
    reply(_ctx, s, msg) {
      switch (msg.type) {
        case 'Permits':
          return { granted: (msg.acquire ?? []).filter((r) => s.holders[r.holder] !== undefined).map((r) => r.holder) } satisfies PermitsReply;
        case 'SetTagPermit':
        case 'DeleteTagPermit':
          return tagInfo(s, msg.tag);
        case 'TagPermits':
          return { tags: msg.tag === undefined ? listTags(s) : [tagInfo(s, msg.tag)] } satisfies TagPermitsReply;
        case 'Hot':
          return { tags: Object.keys(s.hot) };
        default:
          return true;
      }
    },
  };
}

/**
 * The tag-permit manager's reducer (core/service): all-or-nothing acquisition, arrival order
 * with no head-of-line blocking, releases, API limits (maestro-semantics §7).
 *
 * Invariant after every event: no waiting request fits. So an arrival only checks itself (what
 * waited before still does not fit: nothing was freed), while a release or a limit change scans
 * the waiting requests in arrival order and grants every one that fits now.
 *
 * `apply` owns the state it is given (the service actor holds the only reference) and updates
 * it in place.
 */
import type { ServiceReducer } from '../service/reducer.js';
import type { PermitEffect, PermitEvent, PermitRequest, PermitState, PermitTag } from './model.js';

export function emptyPermitState(): PermitState {
  return { limits: {}, holders: {}, waiting: [], counts: {}, inline: {}, hot: {}, seq: 0 };
}

/** The limit of `tag` for a request that carries it: the API's, else its inline one, else none. */
function limitFor(s: PermitState, tag: PermitTag): number {
  return s.limits[tag.name] ?? tag.inlineLimit ?? Infinity;
}

/** Whether every tag of `req` has a permit left. */
export function fits(s: PermitState, req: PermitRequest): boolean {
  for (const tag of req.tags) if ((s.counts[tag.name] ?? 0) >= limitFor(s, tag)) return false;
  return true;
}

function take(s: PermitState, req: PermitRequest, touched: Set<string>): void {
  s.holders[req.holder] = req;
  for (const tag of req.tags) {
    s.counts[tag.name] = (s.counts[tag.name] ?? 0) + 1;
    if (tag.inlineLimit !== undefined) s.inline[tag.name] = tag.inlineLimit;
    touched.add(tag.name);
  }
}

function give(s: PermitState, req: PermitRequest, touched: Set<string>): void {
  delete s.holders[req.holder];
  for (const tag of req.tags) {
    const n = (s.counts[tag.name] ?? 0) - 1;
    if (n > 0) s.counts[tag.name] = n;
    else {
      delete s.counts[tag.name];
      delete s.inline[tag.name];
    }
    touched.add(tag.name);
  }
}

/** Grants, in arrival order, every waiting request that fits now and has one of `changed` tags (all when undefined). */
function grantWaiting(s: PermitState, changed: Set<string> | undefined, touched: Set<string>, fx: PermitEffect[]): void {
  if (s.waiting.length === 0) return;
  const keep: PermitRequest[] = [];
  for (const req of s.waiting) {
    if ((changed === undefined || req.tags.some((t) => changed.has(t.name))) && fits(s, req)) {
      take(s, req, touched);
      fx.push({ f: 'grant', holder: req.holder, instanceKey: req.instanceKey, stepId: req.stepId, attempt: req.attempt });
    } else {
      keep.push(req);
    }
  }
  s.waiting = keep;
}

/** Whether `tag` is saturated: its holders reached its limit (a limit of 0 always is). */
export function isHot(s: PermitState, tag: string): boolean {
  const limit = s.limits[tag] ?? s.inline[tag] ?? Infinity;
  return (s.counts[tag] ?? 0) >= limit;
}

function updateHot(s: PermitState, touched: Set<string>, fx: PermitEffect[]): void {
  let changed = false;
  for (const tag of touched) {
    const hot = isHot(s, tag);
    if (hot === (s.hot[tag] === true)) continue;
    changed = true;
    if (hot) s.hot[tag] = true;
    else delete s.hot[tag];
  }
  if (changed) fx.push({ f: 'hot', tags: Object.keys(s.hot) });
}

export const permitReducer: ServiceReducer<PermitState, PermitEvent, PermitEffect> = {
  initial(): PermitState {
    return emptyPermitState();
  },

  apply(s: PermitState, ev: PermitEvent): { state: PermitState; effects: PermitEffect[] } {
    const fx: PermitEffect[] = [];
    const touched = new Set<string>();
    switch (ev.t) {
      case 'acquire':
        for (const req of ev.reqs) {
          if (s.holders[req.holder] || s.waiting.some((w) => w.holder === req.holder)) continue;
          if (fits(s, req)) take(s, req, touched); // the acquirer learns it from the reply
          else s.waiting.push(req);
        }
        break;
      case 'release': {
        const gone = new Set(ev.holders);
        const freed = new Set<string>();
        for (const h of ev.holders) {
          const req = s.holders[h];
          if (req) {
            give(s, req, touched);
            for (const tag of req.tags) freed.add(tag.name);
          }
        }
        if (s.waiting.some((w) => gone.has(w.holder))) s.waiting = s.waiting.filter((w) => !gone.has(w.holder));
        if (freed.size > 0) grantWaiting(s, freed, touched, fx);
        break;
      }
      case 'limit':
        if (ev.max === null) delete s.limits[ev.tag];
        else s.limits[ev.tag] = ev.max;
        touched.add(ev.tag);
        grantWaiting(s, new Set([ev.tag]), touched, fx);
        break;
    }
    updateHot(s, touched, fx);
    return { state: s, effects: fx };
  },

  /** After a takeover: every holder is told again (its answer also says whether it still holds: a lost release heals). */
  resume(s: PermitState): PermitEffect[] {
    const fx: PermitEffect[] = Object.values(s.holders).map((r) => ({ f: 'grant', holder: r.holder, instanceKey: r.instanceKey, stepId: r.stepId, attempt: r.attempt }));
    fx.push({ f: 'hot', tags: Object.keys(s.hot) });
    return fx;
  },
};

/** What the API shows of one tag. */
export interface TagPermitInfo {
  tag: string;
  /** The limit set through the API (absent: the inline limit of the steps that ask, or none). */
  maxAllowed?: number;
  holders: number;
  waiting: number;
}

export function tagInfo(s: PermitState, tag: string): TagPermitInfo {
  const info: TagPermitInfo = { tag, holders: s.counts[tag] ?? 0, waiting: 0 };
  if (s.limits[tag] !== undefined) info.maxAllowed = s.limits[tag];
  for (const w of s.waiting) if (w.tags.some((t) => t.name === tag)) info.waiting++;
  return info;
}

/** Every tag with an API limit, a holder or a waiter, sorted by name. */
export function listTags(s: PermitState): TagPermitInfo[] {
  const names = new Set([...Object.keys(s.limits), ...Object.keys(s.counts)]);
  for (const w of s.waiting) for (const t of w.tags) names.add(t.name);
  return [...names].sort().map((n) => tagInfo(s, n));
}

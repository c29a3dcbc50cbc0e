/**
 * Tag permits (maestro-semantics §7): the data of the tag-permit manager, one service actor
 * (core/service) keyed `~permits/all`.
 *
 * One manager for the whole deployment, because acquisition is all-or-nothing over a step's
 * tags: a step's tags (a workflow-wide tag, a per-step tag, a tree's correlation tag, user tags)
 * hash anywhere, so sharding by tag would need a two-phase grant across shards. One actor folds
 * every acquire and release in arrival order; its mailbox batches them (one journal append per
 * batch), which is what keeps it off the critical path of throughput.
 *
 * A holder is a step attempt (its attempt id). Requests carry each tag's inline limit (the
 * runtime tags' step_concurrency / instance_step_concurrency / 20); a limit set through the API
 * overrides it; a tag limited nowhere is unlimited; a limit of 0 blocks.
 */
import { ValidationError } from '../errors.js';

/** One tag a step asks for, with the limit its definition implies (runtime tags only). */
export interface PermitTag {
  name: string;
  inlineLimit?: number;
}

/** One step attempt's request: all of `tags`, or nothing. */
export interface PermitRequest {
  /** The attempt id (unique for the life of the instance). */
  holder: string;
  instanceKey: string;
  stepId: string;
  attempt: number;
  tags: PermitTag[];
}

export interface PermitState {
  /** Limits set through the API, by tag. */
  limits: Record<string, number>;
  /** Granted requests by holder. */
  holders: Record<string, PermitRequest>;
  /** Requests not granted yet, in arrival order (granted with no head-of-line blocking). */
  waiting: PermitRequest[];
  /** Holders per tag (tags with none are absent). */
  counts: Record<string, number>;
  /** The inline limit of each held tag, as its latest grant carried it (saturation of tags with no API limit). */
  inline: Record<string, number>;
  /** Tags whose holders reached their limit (and tags limited to 0): what nodes must not fast-path. */
  hot: Record<string, true>;
  /** Journal seq of the last event folded. */
  seq: number;
}

export type PermitEvent =
  /** Requests arrive (already-known holders were filtered out before journaling). */
  | { t: 'acquire'; atMs: number; reqs: PermitRequest[] }
  /** Holders (granted or waiting) are gone: their step ended, or their instance says it does not hold them. */
  | { t: 'release'; atMs: number; holders: string[] }
  /** The API sets (`max` >= 0) or deletes (`max` null) a tag's limit. */
  | { t: 'limit'; atMs: number; tag: string; max: number | null };

export type PermitEffect =
  /** Tell the instance its waiting step got its permits (idempotent there; it answers whether it waits or holds). */
  | { f: 'grant'; holder: string; instanceKey: string; stepId: string; attempt: number }
  /** The saturated set changed: publish it to the nodes (fast path). */
  | { f: 'hot'; tags: string[] };

export const PERMITS_KEY = '~permits/all';
export const PERMITS_KEY_PREFIX = '~permits/';
/** Fan-out topic of the saturated tags ({tags}): nodes cache it for the fast path. */
export const PERMITS_HOT_TOPIC = 'maestro.permits.hot';

/** Maestro's default step_concurrency and per-step permit (Defaults.DEFAULT_STEP_CONCURRENCY). */
export const DEFAULT_STEP_CONCURRENCY = 20;
/** Maestro's tag prefix for runtime tags (Constants.MAESTRO_PREFIX). */
export const MAESTRO_TAG_PREFIX = 'maestro_';

/** Longest tag name the API takes (the wire's id bound). */
export const PERMIT_TAG_MAX_CHARS = 512;

/**
 * A tag named through the API: runtime tags (`maestro_...`) included, unlike definition tags.
 * Throws ValidationError('tag') when blank or too long.
 */
export function checkPermitTag(tag: string): string {
  if (typeof tag !== 'string' || tag.trim() === '') throw new ValidationError('tag', 'is required');
  if (tag.length > PERMIT_TAG_MAX_CHARS) throw new ValidationError('tag', `must be at most ${PERMIT_TAG_MAX_CHARS} characters, got ${tag.length}`);
  return tag;
}

/**
 * The receive side of the trust boundary, shared by every transport adapter: checks what
 * arrives with the node's WireSchemas, counts what it refuses, and reports refusals to the
 * `onRejected` hook without letting a flood flood the log.
 *
 * - A refusal is counted per kind of subject (`stats().rejected`) every time.
 * - It is reported once per source (kind + subject + sender, as far as the adapter knows the
 *   sender), then at most once per `rejectReportIntervalMs` for that source, with the number of
 *   refusals not reported in between; and at most `rejectReportsPerSecond` reports in all.
 *   At most `rejectSourcesTracked` sources are remembered (oldest forgotten first).
 * - An actor message must be for an actor of the partition it arrived for: a message routed
 *   elsewhere would create or change an instance that another partition owns.
 * - The checks throw InvalidMessageError; anything else a check throws is wrapped in one.
 */
import { routeOf } from '../core/partition.js';
import type { DispatchedTask } from '../protocol/executor.js';
import { InvalidMessageError } from '../protocol/errors.js';
import { MSG_ID_MAX_CHARS } from '../protocol/wire.js';
import type { RejectedInfo, TransportStats, WireKind, WireSchemas } from './port.js';
import { NoTopicSchemaError } from './errors.js';

export interface BoundaryOptions {
  /** The checks applied to everything received (the node passes WIRE_SCHEMAS). */
  schemas: WireSchemas;
  /** Receives rejections, rate-limited as above (the node logs them). */
  onRejected?: (info: RejectedInfo) => void;
  rejectReportIntervalMs?: number;
  rejectReportsPerSecond?: number;
  rejectSourcesTracked?: number;
  /** The clock of the rate limits (tests). */
  now?: () => number;
}

export function boundaryDefaults(opts: BoundaryOptions): Required<BoundaryOptions> {
  return {
    onRejected: (info) => process.emitWarning(`rejected ${info.kind} message on ${info.subject}: ${info.reason}`),
    rejectReportIntervalMs: 60_000,
    rejectReportsPerSecond: 10,
    rejectSourcesTracked: 1_024,
    now: Date.now,
    ...opts,
  };
}

interface SourceState {
  reportedAtMs: number;
  suppressed: number;
}

export type Check = (body: unknown) => unknown;

export class Boundary {
  private readonly rejected: Record<WireKind, number> = { actor: 0, task: 0, topic: 0 };
  private readonly sources = new Map<string, SourceState>();
  private windowStartMs = 0;
  private windowReports = 0;
  private readonly opts: Required<BoundaryOptions>;

  constructor(
    opts: BoundaryOptions,
    private readonly partitions: number,
  ) {
    this.opts = boundaryDefaults(opts);
  }

  /** A message for actor `to` that arrived for `partition`. */
  actor(partition: number, to: string, msgId: string, body: unknown, subject: string, source?: string): unknown {
    try {
      if (!to) throw new InvalidMessageError('actor message', 'to', 'is missing (no actor address, the Maestro-To header over NATS)');
      if (msgId.length > MSG_ID_MAX_CHARS) throw new InvalidMessageError('actor message', 'msgId', `is ${msgId.length} chars, over ${MSG_ID_MAX_CHARS}`);
      const home = routeOf(to, this.partitions);
      if (home !== partition) throw new InvalidMessageError('actor message', 'to', `${to.slice(0, 200)} is in partition ${home}, not ${partition}`);
      return this.opts.schemas.actor(to, body);
    } catch (e) {
      throw this.reject('actor', subject, source, e);
    }
  }

  /** A step task that arrived for executors of `servedType` (lower-case). */
  task(servedType: string, body: unknown, subject: string, source?: string): DispatchedTask {
    try {
      const task = this.opts.schemas.task(body);
      const type = task.stepType.toLowerCase();
      if (type !== servedType) throw new InvalidMessageError('StepTask', 'stepType', `${type.slice(0, 200)} sent to executors of ${servedType}`);
      return task;
    } catch (e) {
      throw this.reject('task', subject, source, e);
    }
  }

  /** A topic event, checked with `check` from `topicCheck`. */
  topic(check: Check, body: unknown, subject: string, source?: string): unknown {
    try {
      return check(body);
    } catch (e) {
      throw this.reject('topic', subject, source, e);
    }
  }

  /** The check of `topic`'s events, resolved once per subscription; a topic without one is refused. */
  topicCheck(topic: string): Check {
    const check = this.opts.schemas.topic(topic);
    if (check === undefined) throw new NoTopicSchemaError(topic);
    return check;
  }

  /** Counts and maybe reports a refusal; returns it as an InvalidMessageError for a reply. */
  reject(kind: WireKind, subject: string, source: string | undefined, e: unknown): InvalidMessageError {
    const err = e instanceof InvalidMessageError ? e : new InvalidMessageError(`${kind} message`, '', messageOf(e), { cause: e });
    this.rejected[kind]++;
    this.report(kind, subject, source, err.message);
    return err;
  }

  stats(): TransportStats {
    return { rejected: { ...this.rejected } };
  }

  private report(kind: WireKind, subject: string, source: string | undefined, reason: string): void {
    const now = this.opts.now();
    const key = `${kind} ${subject} ${source ?? ''}`;
    let state = this.sources.get(key);
    if (state && now - state.reportedAtMs < this.opts.rejectReportIntervalMs) {
      state.suppressed++;
      return;
    }
    if (now - this.windowStartMs >= 1_000) {
      this.windowStartMs = now;
      this.windowReports = 0;
    }
    if (this.windowReports >= this.opts.rejectReportsPerSecond) {
      if (state) state.suppressed++;
      return;
    }
    this.windowReports++;
    const suppressed = state?.suppressed ?? 0;
    this.sources.delete(key);
    this.sources.set(key, (state = { reportedAtMs: now, suppressed: 0 }));
    if (this.sources.size > this.opts.rejectSourcesTracked) this.sources.delete(this.sources.keys().next().value!);
    try {
      this.opts.onRejected({ kind, subject, ...(source === undefined ? {} : { source }), reason, suppressed });
    } catch (hookError) {
      process.emitWarning(`onRejected hook failed: ${messageOf(hookError)}`);
    }
  }
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

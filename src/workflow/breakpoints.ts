/**
 * Definition-level breakpoints (Maestro's StepBreakpoint with only workflow_id and step_id set,
 * the only kind its API creates): stored in the KvStore under `bp/<workflowId>/<stepId>`, so they
 * survive restarts and every node of a cluster sees the same ones.
 *
 * The machine asks `has(workflowId, stepId)` synchronously when an attempt reaches INITIALIZED
 * (MachineContext.breakpoint; the answer is a recorded decision). It reads a cache that this
 * class keeps current: loaded at open, updated at once by this node's own changes, reloaded for
 * a key when another node announces a change on BREAKPOINTS_TOPIC, and fully reloaded every
 * `refreshMs` (announcements are fire-and-forget). A node that missed an announcement can pause
 * an attempt at a breakpoint just deleted, for at most `refreshMs`; such an attempt stays PAUSED
 * until resumed (`maestro resume`), as in Maestro a paused row outlives its breakpoint unless
 * the delete resumes it.
 *
 * Paused attempts are not stored apart: an instance's state says which of its attempts are
 * PAUSED, so listing asks every partition's host (a ListPaused message over the transport, like
 * list-instances) and deleting with resume resumes what that finds.
 *
 * Inline workflows (foreach/while iterations, ids `maestro_<type>_<hash>_...`) match Maestro's
 * prefix key in Maestro; here they match their own workflow id only (left to the loop steps).
 */
import { AlreadyExistsError, NotFoundError, ValidationError } from '../core/errors.js';
import { partitionAddress } from '../core/partition.js';
import { CasConflictError, getChecked, listChecked, type KvStore } from '../store/port.js';
import type { Subscription, Transport } from '../transport/port.js';
import { Type } from '@sinclair/typebox';
import { Id, Int, Ms, wire } from '../protocol/wire.js';
import { BREAKPOINTS_TOPIC, type ListPausedMessage } from './messages.js';
import type { Breakpoint, PausedAttempt } from './engine-api.js';
import type { Logger } from '../log/logger.js';
import { readAtStartup } from './startup-read.js';

const PREFIX = 'bp/';
const checkBreakpoint = wire('breakpoint', Type.Object({ workflowId: Id(), stepId: Id(), createdAtMs: Ms() })).parse;
const pausedReply = wire(
  'paused attempts reply',
  Type.Array(Type.Object({ workflowId: Id(), instanceId: Int(1), runId: Int(1), stepId: Id(), attempt: Int(1), pausedAtMs: Ms() })),
);

export interface BreakpointsDeps {
  kv: KvStore;
  transport: Transport;
  partitions: number;
  requestTimeoutMs: number;
  now(): number;
  refreshMs: number;
  log: Logger;
}

export class Breakpoints {
  private cache = new Set<string>();
  private sub: Subscription | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** Bumped by every full reload, so a slow reload never overwrites a newer one. */
  private generation = 0;

  private constructor(private readonly d: BreakpointsDeps) {}

  static async open(d: BreakpointsDeps): Promise<Breakpoints> {
    const b = new Breakpoints(d);
    await readAtStartup('reading the breakpoints', () => b.reload(), d.log);
    b.sub = d.transport.subscribe(BREAKPOINTS_TOPIC, (body) => {
      const { workflowId, stepId } = body as { workflowId: string; stepId: string };
      b.reloadOne(workflowId, stepId).catch((err: unknown) => d.log.warn({ err, workflowId, stepId }, 'reloading a changed breakpoint failed; the periodic reload retries'));
    });
    b.timer = setInterval(() => {
      b.reload().catch((err: unknown) => d.log.warn({ err }, 'reloading breakpoints failed; the next reload retries'));
    }, d.refreshMs);
    b.timer.unref();
    return b;
  }

  /** Synchronous: the machine's lookup (MachineContext.breakpoint). */
  has(workflowId: string, stepId: string): boolean {
    return this.cache.has(keyOf(workflowId, stepId));
  }

  async create(workflowId: string, stepId: string): Promise<Breakpoint> {
    check(workflowId, 'workflow_id');
    check(stepId, 'step_id');
    const bp: Breakpoint = { workflowId, stepId, createdAtMs: this.d.now() };
    try {
      await this.d.kv.put(keyOf(workflowId, stepId), bp, 0);
    } catch (err) {
      if (err instanceof CasConflictError) throw new AlreadyExistsError(`a breakpoint on step ${stepId} of workflow ${workflowId} exists already`);
      throw err;
    }
    this.cache.add(keyOf(workflowId, stepId));
    this.generation++; // a reload that read the KV before this write must not drop it
    this.announce(workflowId, stepId);
    return bp;
  }

  async list(workflowId?: string, stepId?: string): Promise<Breakpoint[]> {
    if (stepId !== undefined && !workflowId) throw new ValidationError('workflow_id', 'is required when step_id is given');
    if (workflowId && stepId) {
      const e = await getChecked(this.d.kv, keyOf(workflowId, stepId), checkBreakpoint);
      return e ? [e.value] : [];
    }
    const entries = await listChecked(this.d.kv, workflowId ? `${PREFIX}${workflowId}/` : PREFIX, checkBreakpoint);
    return entries.map((e) => e.value);
  }

  /** Removes the breakpoint; NotFoundError when there is none. */
  async delete(workflowId: string, stepId: string): Promise<void> {
    check(workflowId, 'workflow_id');
    check(stepId, 'step_id');
    const key = keyOf(workflowId, stepId);
    if (!(await this.d.kv.get(key))) throw new NotFoundError(`no breakpoint on step ${stepId} of workflow ${workflowId}`);
    await this.d.kv.delete(key);
    this.cache.delete(key);
    this.generation++;
    this.announce(workflowId, stepId);
  }

  /** Every attempt of (workflow, step) paused now, across all partitions (wherever hosted). */
  async pausedAttempts(workflowId: string, stepId: string): Promise<PausedAttempt[]> {
    check(workflowId, 'workflow_id');
    check(stepId, 'step_id');
    const msg: ListPausedMessage = { type: 'ListPaused', workflowId, stepId };
    const all = await Promise.all(
      Array.from({ length: this.d.partitions }, async (_, p) => {
        const to = partitionAddress(p);
        return pausedReply.parse(await this.d.transport.request(to, msg, { timeoutMs: this.d.requestTimeoutMs }));
      }),
    );
    return all.flat().sort((a, b) => a.instanceId - b.instanceId);
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.sub?.close();
  }

  private announce(workflowId: string, stepId: string): void {
    this.d.transport.publish(BREAKPOINTS_TOPIC, { workflowId, stepId });
  }

  private async reload(): Promise<void> {
    const gen = ++this.generation;
    const entries = await listChecked(this.d.kv, PREFIX, checkBreakpoint);
    if (gen !== this.generation) return;
    this.cache = new Set(entries.map((e) => keyOf(e.value.workflowId, e.value.stepId)));
  }

  private async reloadOne(workflowId: string, stepId: string): Promise<void> {
    const key = keyOf(workflowId, stepId);
    const e = await this.d.kv.get(key);
    if (e) this.cache.add(key);
    else this.cache.delete(key);
  }
}

function keyOf(workflowId: string, stepId: string): string {
  return `${PREFIX}${workflowId}/${stepId}`;
}

function check(id: string, field: string): void {
  if (!id) throw new ValidationError(field, 'is required');
  if (id.includes('/')) throw new ValidationError(field, `must not contain '/': ${JSON.stringify(id)}`);
}

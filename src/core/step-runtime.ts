/**
 * The step-runtime contract (the same as Maestro's StepRuntime):
 *
 * - Stateless: everything a runtime needs is in the StepTask; nothing survives between calls
 *   except what it returns.
 * - At-least-once: the engine may dispatch the same attempt more than once (after a crash, a
 *   partition move, a lost reply). `attemptId` is unique per attempt; a runtime must be
 *   idempotent for it (e.g. Sleep computes its end from `startedAtMs`, so a redelivered
 *   attempt sleeps only for what is left).
 * - A result is a verdict on one attempt; the instance actor ignores results for attempts that
 *   already ended, so duplicates are harmless.
 * - Cancellation: the AbortSignal fires when the attempt is stopped, killed or timed out; the
 *   runtime should return promptly (its result is then ignored).
 */
export interface StepTask {
  /** Actor id of the owning instance: `${workflowId}/${instanceId}`. Results go back here. */
  instanceKey: string;
  workflowId: string;
  instanceId: number;
  runId: number;
  stepId: string;
  /** 1-based attempt number within the run. */
  attempt: number;
  /** Globally unique: `${instanceKey}/${runId}/${stepId}/${attempt}`. */
  attemptId: string;
  stepType: string;
  subType?: string;
  /** The step's evaluated params (plain JS values); workflow params reach it through its own params' references. */
  params: Record<string, unknown>;
  /** When the attempt started (engine clock); runtimes that wait use it to be idempotent. */
  startedAtMs: number;
  /** Step timeout, if any; the engine enforces it too. */
  timeoutMs?: number;
  /**
   * The owner's partition and fencing epoch, stamped by the owner as it dispatches (0 until
   * then): receivers refuse a task from an epoch older than one they have seen for the partition.
   */
  partition: number;
  epoch: number;
}

export type StepResultStatus = 'SUCCEEDED' | 'USER_FAILED' | 'PLATFORM_FAILED' | 'FATALLY_FAILED';

export interface StepResult {
  status: StepResultStatus;
  /** Output params (plain JS values), visible to later steps. */
  outputs?: Record<string, unknown>;
  error?: string;
  /** Bounded logs kept with the attempt (Shell). */
  stdout?: string;
  stderr?: string;
  /** Free-form runtime details kept with the attempt (http status code, exit code...). */
  details?: Record<string, unknown>;
}

/**
 * What a runtime may report while it runs: live output, published to observers as it comes
 * (`maestro logs -f`). Cheap to call per chunk (the executor batches); nothing here is durable —
 * the result's stdout/stderr is what is kept with the attempt.
 */
export interface RunIo {
  log(stream: 'stdout' | 'stderr', text: string): void;
}

export interface StepRuntime {
  /** Step type as written in definitions ("NoOp", "Sleep", "Http", "Shell"); matched case-insensitively. */
  readonly type: string;
  /**
   * True when `run` never waits (no I/O, no timers), so there is nothing to cancel: the executor
   * then passes a signal that never fires instead of allocating one per attempt (hot path), and
   * an owner that has this runtime runs its steps inline instead of dispatching them.
   */
  readonly instant?: boolean;
  run(task: StepTask, signal: AbortSignal, io?: RunIo): Promise<StepResult>;
  /**
   * For instant runtimes: the same verdict as `run`, synchronously. An owner then applies the
   * result in the same batch as the dispatch (one journal append for a run of NoOps).
   */
  runNow?(task: StepTask): StepResult;
  /**
   * For runtimes that are sometimes instant (Sleep whose end is already past): the verdict when
   * `run` would give it at once, else undefined. An owner asks before dispatching and applies a
   * verdict in the same batch, like runNow (the result is journaled, so replay never asks);
   * undefined dispatches the step as usual. Such a runtime is not `instant` (it may wait), so
   * it never takes the tag-permit fast path.
   */
  tryNow?(task: StepTask): StepResult | undefined;
}

/** Executor configuration: one options type, every default in `defaultExecutorOptions()`. */
import { ExecutorConfigError } from './errors.js';

export interface ExecutorOptions {
  /** Registers the Shell runtime. Off by default: it runs arbitrary commands on this host. */
  shellEnabled: boolean;
  /**
   * URLs the Http runtime may call. Each entry is either a URL prefix (`https://api.example.com/v1/`,
   * matched on origin and path prefix) or a host pattern (`example.com`, `example.com:8080`,
   * `*.example.com`, `*` for any host). Empty blocks every request.
   */
  httpAllowList: string[];
  /** Deadline of one Http step request, redirects and body included. */
  httpTimeoutMs: number;
  /** An Http response body larger than this fails the step (reading stops at the limit). */
  httpMaxResponseBytes: number;
  /** Redirects the Http runtime follows (each hop is checked against the allow-list). */
  httpMaxRedirects: number;
  /** Bound on the text kept in a result: Shell stdout/stderr tails and the Http body output. */
  maxOutputBytes: number;
  /** Window at the end of Shell stdout scanned for the MAESTRO_OUTPUT_START..END block. */
  shellMaxOutputBlockBytes: number;
  /** After SIGTERM to a cancelled Shell step's process group, SIGKILL follows after this. */
  shellKillGraceMs: number;
  /** Attempts run at once by one executor; more wait in a FIFO queue. */
  maxConcurrentRuns: number;
  /**
   * Unused: a result is retried until its owner takes it or the attempt is known dead
   * (result-delivery.ts). Kept until executor.ts stops passing it.
   */
  resultDeliveryTimeoutMs: number;
  /** First and largest pause between result delivery retries (exponential, jittered). */
  resultRetryInitialMs: number;
  resultRetryMaxMs: number;
  /** While a result keeps failing to reach its owner, one warning per this many ms (and at the first failure). */
  resultWarnEveryMs: number;
  /** How long `close()` keeps trying to hand the results of the attempts it aborted to their instances. */
  closeTimeoutMs: number;
  /** Finished attempts remembered so a redelivered attempt re-sends its result instead of re-running. */
  finishedAttemptCacheSize: number;
  /**
   * How often the executor announces the attempts it holds (TOPIC_ATTEMPT_HEARTBEAT), so owners
   * can tell a long-running attempt from one whose executor died (0 = never).
   */
  heartbeatIntervalMs: number;
}

export function defaultExecutorOptions(): ExecutorOptions {
  return {
    shellEnabled: false,
    httpAllowList: [],
    httpTimeoutMs: 30_000,
    httpMaxResponseBytes: 1024 * 1024,
    httpMaxRedirects: 5,
    maxOutputBytes: 64 * 1024,
    shellMaxOutputBlockBytes: 1024 * 1024,
    shellKillGraceMs: 2_000,
    maxConcurrentRuns: 1_000,
    resultDeliveryTimeoutMs: 5 * 60_000,
    resultRetryInitialMs: 50,
    resultRetryMaxMs: 5_000,
    resultWarnEveryMs: 30_000,
    closeTimeoutMs: 5_000,
    finishedAttemptCacheSize: 1_024,
    heartbeatIntervalMs: 500,
  };
}

/** Defaults overlaid with `opts`; rejects values that would make the executor misbehave. */
export function resolveExecutorOptions(opts: Partial<ExecutorOptions> = {}): ExecutorOptions {
  const o: ExecutorOptions = { ...defaultExecutorOptions(), ...stripUndefined(opts) };
  const positive: (keyof ExecutorOptions)[] = [
    'httpTimeoutMs',
    'httpMaxResponseBytes',
    'maxOutputBytes',
    'shellMaxOutputBlockBytes',
    'maxConcurrentRuns',
    'resultDeliveryTimeoutMs',
    'resultRetryInitialMs',
    'resultRetryMaxMs',
    'resultWarnEveryMs',
  ];
  for (const k of positive) {
    const v = o[k];
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
      throw new ExecutorConfigError(`executor option ${k} must be a positive number, got ${String(v)}`);
    }
  }
  for (const k of ['httpMaxRedirects', 'shellKillGraceMs', 'closeTimeoutMs', 'finishedAttemptCacheSize'] as const) {
    const v = o[k];
    if (!Number.isInteger(v) || v < 0) {
      throw new ExecutorConfigError(`executor option ${k} must be a non-negative integer, got ${String(v)}`);
    }
  }
  if (!Array.isArray(o.httpAllowList) || o.httpAllowList.some((e) => typeof e !== 'string' || e === '')) {
    throw new ExecutorConfigError('executor option httpAllowList must be an array of non-empty strings');
  }
  return o;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

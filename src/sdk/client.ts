/**
 * The TypeScript SDK's client: a thin, typed face over the gRPC control client
 * (src/control/client.ts) for programs that push workflows, start runs and follow them.
 *
 *   const maestro = createClient({ address: 'localhost:50051' });
 *   await maestro.push(await readFile('etl.json', 'utf8'));
 *   for await (const c of maestro.startAndWatch('daily-etl', { batch_size: 100 }, { requestId: 'r-1' })) ...
 *   const done = await maestro.wait('daily-etl', 1);
 *
 * Params in are plain JS values (numbers, strings, booleans, arrays, objects); they travel as
 * typed maestro.v1.Values (an integer as a long) and the engine coerces each run param to its
 * declared type. Values out are plain JS again: a LONG is a JS number (exact up to 2^53).
 * Failures are ControlErrors (`kind`, gRPC `code`, `path` of the field, `retryable`).
 */
import { createControlClient, type ControlClient, type WatchedChange, type WorkflowInfo } from '../control/client.js';
import type { ClientTlsOptions } from '../control/tls.js';
import { MaestroError, ValidationError } from '../core/errors.js';
import type { InstanceView } from '../core/instance/view.js';
import type { SignalInstance, SignalValue } from '../core/signals/model.js';
import { isWorkflowTerminal } from '../core/status.js';
import type { DefinitionFormat } from '../workflow/engine-api.js';

export { ControlError } from '../control/errors.js';
export type { ClientTlsOptions } from '../control/tls.js';
/** An instance (run) as the server shows it: status, params, steps with attempts and outputs. */
export type Instance = InstanceView;
/** One change of a watched instance; the first of a stream carries the whole instance as `snapshot`. */
export type InstanceChange = WatchedChange;
export type { SignalInstance, SignalValue, WorkflowInfo };

export interface ClientOptions {
  /** host:port of any node's gRPC API. */
  address: string;
  /** Sent as `authorization: Bearer <token>` on every call. */
  token?: string;
  /** TLS: true for the system's root CAs, or the CA / client certificate files. Plaintext when absent. */
  tls?: boolean | ClientTlsOptions;
  /** Deadline of each unary call in ms (default 30000); streams have none. */
  callTimeoutMs?: number;
}

export interface StartOptions {
  /** Dedup key: starting again with the same request id gives the first instance. */
  requestId?: string;
  /** A stored version; default the active one. */
  version?: number;
}

export interface SignalOptions {
  /** Kept with the signal; not matchable and not part of its dedup id. */
  payload?: Record<string, unknown>;
  /** The dedup id (default: derived from name and params). */
  requestId?: string;
}

export interface MaestroClient {
  /** Creates a new version of the workflow the definition (Maestro JSON or YAML) names. */
  push(definition: string, format?: DefinitionFormat): Promise<WorkflowInfo & { warnings: string[] }>;
  start(workflowId: string, params?: Record<string, unknown>, opts?: StartOptions): Promise<Instance>;
  /** Start and watch in one call: the snapshot right after the start, then every change until the run ends. */
  startAndWatch(workflowId: string, params?: Record<string, unknown>, opts?: StartOptions): AsyncGenerator<InstanceChange, void, undefined>;
  get(workflowId: string, instanceId: number): Promise<Instance>;
  /** The snapshot, then every change until the run ends. `{ requestId }`: the instance a start with it created (NOT_FOUND until one exists). */
  watch(workflowId: string, instance: number | { requestId: string }): AsyncGenerator<InstanceChange, void, undefined>;
  /** Waits for the instance's run to end (over a watch, no polling) and returns it. */
  wait(workflowId: string, instance: number | { requestId: string }): Promise<Instance>;
  /** start + wait in one call (StartAndWatch): the ended instance. */
  run(workflowId: string, params?: Record<string, unknown>, opts?: StartOptions): Promise<Instance>;
  /** Announces a signal; `params` are its matchable values (integers or strings). */
  signal(name: string, params?: Record<string, SignalValue>, opts?: SignalOptions): Promise<SignalInstance>;
  stop(workflowId: string, instanceId: number): Promise<Instance>;
  /** The whole control client (every API call) for what this face leaves out. */
  readonly control: ControlClient;
  close(): void;
}

export function createClient(opts: ClientOptions): MaestroClient {
  if (!opts.address) throw new ValidationError('address', 'is required (host:port)');
  const control = createControlClient(opts.address, {
    ...(opts.token === undefined ? {} : { token: opts.token }),
    ...(opts.tls === undefined || opts.tls === false ? {} : { tls: opts.tls === true ? {} : opts.tls }),
    ...(opts.callTimeoutMs === undefined ? {} : { callTimeoutMs: opts.callTimeoutMs }),
  });
  const startRequest = (workflowId: string, params: Record<string, unknown> | undefined, o: StartOptions = {}) => ({
    workflowId,
    params: params ?? {},
    ...(o.requestId === undefined ? {} : { requestId: o.requestId }),
    ...(o.version === undefined ? {} : { version: o.version }),
  });

  /** Drains a snapshot-first stream to its end; the final instance. */
  async function toEnd(changes: AsyncIterable<InstanceChange>): Promise<Instance> {
    let snapshot: Instance | undefined;
    for await (const c of changes) if (c.snapshot) snapshot = c.snapshot;
    if (!snapshot) throw new MaestroError('internal', 'the watch ended before its snapshot');
    // A terminal snapshot is the final instance; otherwise read what the run ended as.
    return isWorkflowTerminal(snapshot.status) ? snapshot : control.getInstance(snapshot.workflowId, snapshot.instanceId);
  }

  return {
    control,
    push: (definition, format) => control.createWorkflow(definition, format),
    start: (workflowId, params, o) => control.startWorkflow(startRequest(workflowId, params, o)),
    startAndWatch: (workflowId, params, o) => control.startAndWatch(startRequest(workflowId, params, o)),
    get: (workflowId, instanceId) => control.getInstance(workflowId, instanceId),
    watch: (workflowId, instance) => control.watch(workflowId, instance),
    wait: (workflowId, instance) => toEnd(control.watch(workflowId, instance)),
    run: (workflowId, params, o) => toEnd(control.startAndWatch(startRequest(workflowId, params, o))),
    signal: (name, params = {}, o = {}) =>
      control.sendSignal(name, { params, payload: o.payload ?? {}, ...(o.requestId === undefined ? {} : { requestId: o.requestId }) }),
    stop: (workflowId, instanceId) => control.stop(workflowId, instanceId),
    close: () => control.close(),
  };
}

/**
 * The web UI's HTTP API (JSON under /api/, server-sent events for live instances) and the
 * bundled front end (ui/dist, built by `npm run build:ui`) at /.
 *
 * - Every answer is JSON. Errors are `{error: {kind, message, field?}}` with the status the gRPC
 *   mapping would give: invalid_argument 400 (field named), not_found 404, already_exists 409,
 *   failed_precondition 412, unavailable 503, anything else 500 (logged).
 * - GET /api/instances/:wf/:id/events is an SSE stream: `snapshot` (the instance view, graph-free)
 *   first, then `change` for every change after it (seq above the snapshot's), then `end` after a
 *   terminal workflow status. The stream unsubscribes from the engine exactly once, whichever
 *   side ends it.
 * - The graph of an instance (`graph`) comes from its definition version; for a foreach/while
 *   iteration (an inline workflow, stored nowhere) from the loop step's body in the root version.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MaestroError, ValidationError } from '../core/errors.js';
import type { Step, WorkflowCreateRequest } from '../core/definition/model.js';
import { isInlineWorkflowId, loopStepAt } from '../core/instance/inline.js';
import { allowedStepActions } from '../core/instance/actions.js';
import type { InstanceChange, InstanceView, StepView } from '../core/instance/view.js';
import { isWorkflowTerminal, WORKFLOW_STATUSES, type StepStatus, type WorkflowStatus } from '../core/status.js';
import type { SignalValue } from '../core/signals/model.js';
import type { EngineApi, RestartPolicy, StepActionKind } from '../workflow/engine-api.js';
import { sendJson, sendText, type HttpRoute } from './http-server.js';
import { breakpointRoutes } from './ui-breakpoints.js';
import { instanceId, optInt, optString, readJson, uiRoute, type UiApiDeps, type UiHandler } from './ui-http.js';
import { stepLogRoutes } from './ui-step-logs.js';

/** A node of a workflow's DAG; foreach/while steps carry their body as `children`. */
export interface GraphNode {
  id: string;
  kind: Step['kind'];
  type?: string;
  name?: string;
  children?: Graph;
}
export interface Graph {
  nodes: GraphNode[];
  edges: Array<{ from: string; to: string; condition: string }>;
}

export function graphOf(steps: Step[]): Graph {
  const nodes: GraphNode[] = [];
  const edges: Graph['edges'] = [];
  for (const s of steps) {
    const n: GraphNode = { id: s.id, kind: s.kind };
    if (s.name !== undefined) n.name = s.name;
    if (s.kind === 'step') n.type = s.type;
    if (s.kind === 'foreach' || s.kind === 'while') n.children = graphOf(s.steps);
    nodes.push(n);
    for (const [to, condition] of Object.entries(s.transition.successors)) edges.push({ from: s.id, to, condition });
  }
  return { nodes, edges };
}

/** What the UI may offer now (the engine still decides: a stale button answers 412). */
export function allowedActions(v: InstanceView): { instance: string[]; steps: Record<string, string[]> } {
  const terminal = isWorkflowTerminal(v.status);
  const instance = terminal ? ['restart'] : ['stop', 'kill'];
  if (v.status === 'FAILED') instance.push('unblock');
  const steps: Record<string, string[]> = {};
  for (const s of v.steps) steps[s.stepId] = stepActions(s, terminal);
  return { instance, steps };
}

function stepActions(s: StepView, instanceTerminal: boolean): string[] {
  if (instanceTerminal) return s.status === 'NOT_CREATED' ? [] : ['restart'];
  return allowedStepActions(s.status);
}

export type { UiApiDeps };

export function uiRoutes(deps: UiApiDeps): HttpRoute[] {
  const { api } = deps;
  const seg = '([^/]+)';
  const r = (method: HttpRoute['method'], path: string | RegExp, fn: UiHandler): HttpRoute => uiRoute(deps, method, path, fn);
  const P = (s: string) => new RegExp(`^${s}$`);
  return [
    r('GET', '/api/workflows', async (_q, res) => {
      const list = await api.listWorkflows();
      sendJson(res, 200, { workflows: list });
    }),
    r('GET', P(`/api/workflows/${seg}`), async (_q, res, m) => sendJson(res, 200, await workflowDetail(api, m[1]!))),
    r('GET', P(`/api/workflows/${seg}/graph`), async (_q, res, m, url) => {
      const version = optInt(url, 'version');
      const info = await api.getWorkflow(m[1]!, version);
      sendJson(res, 200, { workflowId: info.workflowId, version: info.version, graph: graphOf(info.definition.workflow.steps) });
    }),
    r('GET', '/api/instances', async (_q, res, _m, url) => {
      const status = url.searchParams.get('status') || undefined;
      if (status !== undefined && !(WORKFLOW_STATUSES as readonly string[]).includes(status)) {
        throw new ValidationError('status', `must be one of ${WORKFLOW_STATUSES.join(', ')}, got ${status}`);
      }
      const req: Parameters<EngineApi['listInstances']>[0] = {};
      const wf = url.searchParams.get('workflow');
      if (wf) req.workflowId = wf;
      if (status) req.status = status as WorkflowStatus;
      const size = optInt(url, 'pageSize');
      if (size !== undefined) req.pageSize = size;
      const token = url.searchParams.get('pageToken');
      if (token) req.pageToken = token;
      sendJson(res, 200, await api.listInstances(req));
    }),
    r('GET', P(`/api/instances/${seg}/${seg}`), async (_q, res, m) => {
      const view = await api.getInstance(m[1]!, instanceId(m[2]!));
      sendJson(res, 200, { instance: view, graph: await graphFor(api, view), actions: allowedActions(view) });
    }),
    r('GET', P(`/api/instances/${seg}/${seg}/events`), (req, res, m) => streamInstance(deps, req, res, m[1]!, instanceId(m[2]!))),
    r('POST', P(`/api/instances/${seg}/${seg}/(stop|kill|restart|unblock)`), async (req, res, m) => {
      const wf = m[1]!;
      const id = instanceId(m[2]!);
      const body = await readJson(req);
      let view: InstanceView;
      switch (m[3]) {
        case 'stop':
          view = await api.stop(wf, id);
          break;
        case 'kill':
          view = await api.kill(wf, id);
          break;
        case 'unblock':
          view = await api.unblockInstance(wf, id);
          break;
        default: {
          const policy = optString(body, 'policy') as RestartPolicy | undefined;
          view = await api.restart(wf, id, policy, optString(body, 'stepId'));
        }
      }
      sendJson(res, 200, { instance: view, actions: allowedActions(view) });
    }),
    r('POST', P(`/api/instances/${seg}/${seg}/steps/${seg}/(skip|bypass|stop|kill|restart|resume)`), async (req, res, m) => {
      const body = await readJson(req);
      const opts: { attempt?: number; reason?: string } = {};
      const attempt = body['attempt'];
      if (attempt !== undefined) {
        if (typeof attempt !== 'number' || !Number.isSafeInteger(attempt) || attempt <= 0) throw new ValidationError('attempt', `must be a positive integer, got ${JSON.stringify(attempt)}`);
        opts.attempt = attempt;
      }
      const reason = optString(body, 'reason');
      if (reason !== undefined) opts.reason = reason;
      const view = await api.stepAction(m[1]!, instanceId(m[2]!), m[3]!, m[4] as StepActionKind, opts);
      sendJson(res, 200, { instance: view, actions: allowedActions(view) });
    }),
    r('GET', '/api/signals', async (_q, res, _m, url) => {
      const asked = (url.searchParams.get('names') ?? '').split(',').map((s) => s.trim()).filter(Boolean);
      const names = asked.length > 0 ? asked : await knownSignalNames(api);
      const limit = optInt(url, 'limit') ?? 10;
      const signals = [];
      for (const name of names) {
        const head = await api.listSignals(name, 0, 1);
        const recent = head.latestSeq === 0 ? [] : (await api.listSignals(name, Math.max(0, head.latestSeq - limit), limit)).instances.reverse();
        signals.push({ name, latestSeq: head.latestSeq, recent });
      }
      sendJson(res, 200, { signals });
    }),
    r('POST', P(`/api/signals/${seg}`), async (req, res, m) => {
      const body = await readJson(req);
      const params = body['params'] ?? {};
      if (typeof params !== 'object' || params === null || Array.isArray(params)) throw new ValidationError('params', 'must be an object of numbers and strings');
      for (const [k, v] of Object.entries(params)) {
        if (typeof v !== 'number' && typeof v !== 'string') throw new ValidationError(`params.${k}`, `must be a number or a string, got ${JSON.stringify(v)}`);
      }
      const payload = body['payload'] ?? {};
      if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) throw new ValidationError('payload', 'must be an object');
      const signal: Parameters<EngineApi['sendSignal']>[1] = { params: params as Record<string, SignalValue>, payload: payload as Record<string, unknown> };
      const requestId = optString(body, 'requestId');
      if (requestId) signal.requestId = requestId;
      sendJson(res, 200, await api.sendSignal(m[1]!, signal));
    }),
    r('GET', '/api/cluster', async (_q, res) => {
      if (!api.clusterInfo) throw new MaestroError('unavailable', `node ${deps.nodeId} does not report cluster information`);
      sendJson(res, 200, await api.clusterInfo());
    }),
    ...breakpointRoutes(deps),
    ...stepLogRoutes(deps),
    ...staticRoutes(deps),
  ];
}

async function workflowDetail(api: EngineApi, workflowId: string): Promise<unknown> {
  const latest = await api.getWorkflow(workflowId);
  const versions = [];
  for (let v = latest.version; v >= Math.max(1, latest.version - 19); v--) {
    const info = v === latest.version ? latest : await api.getWorkflow(workflowId, v).catch((err: unknown) => {
      if (err instanceof MaestroError && err.kind === 'not_found') return undefined;
      throw err;
    });
    if (info) versions.push({ version: info.version, isActive: info.isActive, createdAtMs: info.createdAtMs, name: info.definition.workflow.name });
  }
  const active = latest.activeVersion > 0 ? (latest.activeVersion === latest.version ? latest : await api.getWorkflow(workflowId, latest.activeVersion)) : latest;
  const def = active.definition;
  return {
    workflowId,
    latestVersion: latest.version,
    activeVersion: latest.activeVersion,
    name: def.workflow.name,
    description: def.workflow.description ?? def.properties.description,
    owner: def.properties.owner,
    runStrategy: def.properties.runStrategy,
    stepConcurrency: def.properties.stepConcurrency,
    versions,
    timeTriggers: def.workflow.timeTriggers.length > 0 ? await api.getTimeTriggers(workflowId, 5) : undefined,
    signalTriggers: def.workflow.signalTriggers.length > 0 ? await api.signalTriggers(workflowId) : undefined,
    graph: graphOf(def.workflow.steps),
  };
}

/** The DAG an instance runs: its version's steps, or for an iteration the loop body in the root's version. */
async function graphFor(api: EngineApi, view: InstanceView): Promise<Graph> {
  if (!isInlineWorkflowId(view.workflowId)) {
    const info = await api.getWorkflow(view.workflowId, view.version);
    return graphOf(info.definition.workflow.steps);
  }
  const path: string[] = [];
  let v = view;
  while (isInlineWorkflowId(v.workflowId)) {
    if (!v.parent) throw new MaestroError('internal', `iteration ${v.workflowId}/${v.instanceId} has no parent`);
    path.unshift(v.parent.stepId);
    v = await api.getInstance(v.parent.workflowId, v.parent.instanceId);
  }
  const root: WorkflowCreateRequest = (await api.getWorkflow(v.workflowId, v.version)).definition;
  return graphOf(loopStepAt(root, path).steps);
}

/** Signal names the stored workflows use (triggers, dependencies, outputs), for the signals page. */
async function knownSignalNames(api: EngineApi): Promise<string[]> {
  const names = new Set<string>();
  const walk = (steps: Step[]): void => {
    for (const s of steps) {
      for (const d of s.signalDependencies) names.add(d.name);
      for (const o of s.signalOutputs) names.add(o.name);
      if (s.kind === 'foreach' || s.kind === 'while') walk(s.steps);
    }
  };
  for (const w of await api.listWorkflows()) {
    const info = await api.getWorkflow(w.workflowId, w.activeVersion > 0 ? w.activeVersion : w.latestVersion);
    walk(info.definition.workflow.steps);
    for (const t of info.definition.workflow.signalTriggers) for (const n of Object.keys(t.definitions)) names.add(n);
  }
  return [...names].sort();
}

const SSE_KEEPALIVE_MS = 15_000;

async function streamInstance(deps: UiApiDeps, req: IncomingMessage, res: ServerResponse, wf: string, id: number): Promise<void> {
  const queued: InstanceChange[] = [];
  let ready = false;
  let stopped = false;
  let stop: () => void = () => undefined;
  let keepAlive: NodeJS.Timeout | undefined;
  const end = (): void => {
    if (stopped) return;
    stopped = true;
    clearInterval(keepAlive);
    stop();
    res.end();
  };
  let snapshotSeq = -1;
  const send = (c: InstanceChange): void => {
    if (stopped) return;
    if (c.seq !== undefined && c.seq <= snapshotSeq) return;
    res.write(`event: change\ndata: ${JSON.stringify(c)}\n\n`);
    if (c.stepId === undefined && (WORKFLOW_STATUSES as readonly string[]).includes(c.status) && isWorkflowTerminal(c.status as WorkflowStatus)) {
      res.write('event: end\ndata: {}\n\n');
      end();
    }
  };
  const sub = await deps.api.watchWithSnapshot(wf, id, (c) => (ready ? send(c) : queued.push(c)));
  stop = sub.stop;
  snapshotSeq = sub.view.seq ?? -1;
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive' });
  res.once('close', end);
  if (res.destroyed) return end(); // the client left while the watch was being set up
  // A comment now and then keeps idle proxies and browsers from dropping a quiet stream.
  keepAlive = setInterval(() => res.write(': keep-alive\n\n'), SSE_KEEPALIVE_MS);
  keepAlive.unref();
  res.write(`event: snapshot\ndata: ${JSON.stringify({ instance: sub.view, actions: allowedActions(sub.view) })}\n\n`);
  if (isWorkflowTerminal(sub.view.status)) {
    res.write('event: end\ndata: {}\n\n');
    end();
    return;
  }
  ready = true;
  for (const c of queued.splice(0)) send(c);
}







/** ui/dist of this package: from src/control (tsx) or dist/src/control (built). */
export function defaultUiDir(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, 'ui', 'dist');
    if (existsSync(join(candidate, 'index.html'))) return candidate;
    dir = dirname(dir);
  }
  return undefined;
}

const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.map': 'application/json', '.svg': 'image/svg+xml' };

/** The bundle: /ui/* assets; index.html for / and the front end's page paths (client-side routes). */
function staticRoutes(deps: UiApiDeps): HttpRoute[] {
  const dir = deps.uiDir ?? defaultUiDir();
  const serve = async (res: ServerResponse, file: string): Promise<void> => {
    if (!dir) {
      sendText(res, 503, 'the web UI bundle is missing: run `npm run build:ui`');
      return;
    }
    const path = normalize(join(dir, file));
    if (!path.startsWith(dir + sep)) {
      sendText(res, 404, `no file ${file}`);
      return;
    }
    let body: Buffer;
    try {
      body = await readFile(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return sendText(res, 404, `no file ${file}`);
      throw err;
    }
    const ext = file.slice(file.lastIndexOf('.'));
    res.writeHead(200, { 'content-type': TYPES[ext] ?? 'application/octet-stream', 'content-length': body.length, 'cache-control': 'no-cache' });
    res.end(body);
  };
  return [
    { method: 'GET', path: /^\/ui\/([A-Za-z0-9._-]+)$/, handle: (_q, res, m) => serve(res, m![1]!) },
    // The front end's own pages (client-side routes); other paths stay free for other routes.
    { method: 'GET', path: /^\/(?:|workflows(?:\/[^/]+)?|instances(?:\/[^/]+\/\d+)?|signals|cluster)\/?$/, handle: (_q, res) => serve(res, 'index.html') },
  ];
}

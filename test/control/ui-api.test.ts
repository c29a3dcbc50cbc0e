/**
 * The web UI's JSON + SSE API (src/control/ui-api.ts) on an embedded node: workflows, instances
 * with filters, one instance with its graph (an iteration's graph from the loop body), the SSE
 * stream (snapshot, a live change, end), actions and their errors as HTTP statuses, signals,
 * cluster, and the bundle at /.
 */
import test from 'ava';
import { createEmbeddedNode, type EmbeddedNode } from '../../src/node/embedded.js';
import { startHttpServer, type HttpServerHandle } from '../../src/control/http-server.js';
import { httpRoutes } from '../../src/control/http-routes.js';
import { allowedActions } from '../../src/control/ui-api.js';
import type { ForeachOverview, InstanceView } from '../../src/core/instance/view.js';
import { testRuntimes, type Holds } from '../fixtures/test-runtimes.js';
import { waitForEnd, waitForStep } from '../helpers/wait.js';
import { recordingLogger } from '../helpers/log.js';
import { readSse, type SseEvent } from '../helpers/sse.js';

let node: EmbeddedNode;
let holds: Holds;
let http: HttpServerHandle;
test.before(async () => {
  const t = testRuntimes();
  holds = t.holds;
  node = await createEmbeddedNode({ extraRuntimes: t.runtimes });
  http = await startHttpServer({ port: 0, log: recordingLogger(), routes: httpRoutes({ api: node.api, nodeId: 'embedded', log: node.log }) });
});
test.after.always(async () => {
  await http?.close();
  await node?.close();
});

const PARALLEL = { owner: 'tester', run_strategy: { rule: 'PARALLEL', workflow_concurrency: 10 } };

async function get(path: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`${http.url}${path}`);
  return { status: res.status, body: await res.json() };
}
async function post(path: string, body: unknown = {}): Promise<{ status: number; body: any }> {
  const res = await fetch(`${http.url}${path}`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  return { status: res.status, body: await res.json() };
}

/** Reads SSE events from `path` until `until` says stop (or the stream ends); `onOpen` once the first event came. */
const readEvents = (path: string, until: (events: SseEvent[]) => boolean, onOpen?: () => void): Promise<SseEvent[]> =>
  readSse(`${http.url}${path}`, until, (_e, all) => {
    if (all.length === 1) onOpen?.();
  });

test('workflows, graph, instances with filters and one instance with its allowed actions', async (t) => {
  await node.api.createWorkflow(JSON.stringify({ properties: PARALLEL, workflow: { id: 'ui-a', name: 'A', steps: [{ step: { id: 'one', type: 'NoOp', transition: { successors: { two: 'true' } } } }, { step: { id: 'two', type: 'NoOp' } }] } }));
  const list = await get('/api/workflows');
  t.is(list.status, 200);
  t.true(list.body.workflows.some((w: any) => w.workflowId === 'ui-a'));
  const wf = await get('/api/workflows/ui-a');
  t.like(wf.body, { workflowId: 'ui-a', activeVersion: 1, runStrategy: { rule: 'PARALLEL', workflowConcurrency: 10 } });
  t.deepEqual(wf.body.graph.edges, [{ from: 'one', to: 'two', condition: 'true' }]);
  t.is((await get('/api/workflows/nope')).status, 404);

  const run = await node.api.startWorkflow({ workflowId: 'ui-a' });
  await waitForEnd(node.api, 'ui-a', run.instanceId);
  const inst = await get(`/api/instances/ui-a/${run.instanceId}`);
  t.is(inst.body.instance.status, 'SUCCEEDED', JSON.stringify(inst.body.instance.steps.map((s: any) => [s.status, s.attempts.at(-1)?.error])));
  t.deepEqual(inst.body.graph.nodes.map((n: any) => n.id), ['one', 'two']);
  t.deepEqual(inst.body.actions.instance, ['restart']);
  const filtered = await get('/api/instances?workflow=ui-a&status=SUCCEEDED&pageSize=5');
  t.deepEqual(filtered.body.instances.map((i: any) => i.instanceId), [run.instanceId]);
  const none = await get('/api/instances?workflow=ui-a&status=IN_PROGRESS');
  t.deepEqual(none.body.instances, [], JSON.stringify(none.body));
  const bad = await get('/api/instances?status=NOPE');
  t.is(bad.status, 400);
  t.is(bad.body.error.field, 'status');
  const badId = await get('/api/instances/ui-a/abc');
  t.is(badId.status, 400);
  t.is(badId.body.error.field, 'instanceId');
  t.is((await get('/api/instances/ui-a/999')).status, 404);
});

test('SSE: snapshot, a step turning SUCCEEDED live, then end; stop of an ended instance is 412', async (t) => {
  await node.api.createWorkflow(JSON.stringify({ properties: PARALLEL, workflow: { id: 'ui-hold', steps: [{ step: { id: 'h', type: 'Hold' } }] } }));
  const run = await node.api.startWorkflow({ workflowId: 'ui-hold' });
  const v = await waitForStep(node.api, 'ui-hold', run.instanceId, 'h', 'RUNNING');
  const events = await readEvents(`/api/instances/ui-hold/${run.instanceId}/events`, (es) => es.at(-1)!.event === 'end', () => holds.release(v, 'h'));
  t.is(events[0]!.event, 'snapshot');
  t.is(events[0]!.data.instance.steps[0].status, 'RUNNING');
  t.deepEqual(events[0]!.data.actions.instance, ['stop', 'kill']);
  t.true(events.some((e) => e.event === 'change' && e.data.stepId === 'h' && e.data.status === 'SUCCEEDED'));
  t.true(events.some((e) => e.event === 'change' && e.data.stepId === undefined && e.data.status === 'SUCCEEDED'));
  const stop = await post(`/api/instances/ui-hold/${run.instanceId}/stop`);
  t.is(stop.status, 412);
  t.is(stop.body.error.kind, 'failed_precondition');
  // An ended instance: the stream is the snapshot, then end.
  const again = await readEvents(`/api/instances/ui-hold/${run.instanceId}/events`, (es) => es.at(-1)!.event === 'end');
  t.deepEqual(again.map((e) => e.event), ['snapshot', 'end']);
});

test('actions: stop a running instance, restart it, a step action, bad bodies name the field', async (t) => {
  await node.api.createWorkflow(JSON.stringify({ properties: PARALLEL, workflow: { id: 'ui-act', steps: [{ step: { id: 'h', type: 'Hold' } }] } }));
  const run = await node.api.startWorkflow({ workflowId: 'ui-act' });
  await waitForStep(node.api, 'ui-act', run.instanceId, 'h', 'RUNNING');
  const badBody = await fetch(`${http.url}/api/instances/ui-act/${run.instanceId}/steps/h/resume`, { method: 'POST', body: '{"attempt": "x"}' });
  t.is(badBody.status, 400);
  t.is(((await badBody.json()) as any).error.field, 'attempt');
  const notJson = await fetch(`${http.url}/api/instances/ui-act/${run.instanceId}/stop`, { method: 'POST', body: '{' });
  t.is(notJson.status, 400);
  const stopped = await post(`/api/instances/ui-act/${run.instanceId}/stop`);
  t.is(stopped.status, 200);
  const end = await waitForEnd(node.api, 'ui-act', run.instanceId);
  t.is(end.status, 'STOPPED');
  const restarted = await post(`/api/instances/ui-act/${run.instanceId}/restart`, { stepId: 'h' });
  t.is(restarted.status, 200, JSON.stringify(restarted.body));
  const v2 = await waitForStep(node.api, 'ui-act', run.instanceId, 'h', 'RUNNING', { runId: 2 });
  const skip = await post(`/api/instances/ui-act/${run.instanceId}/steps/h/skip`);
  t.is(skip.status, 200, JSON.stringify(skip.body));
  const done = await waitForEnd(node.api, 'ui-act', run.instanceId);
  t.is(done.runId, v2.runId);
  t.is(done.steps[0]!.status, 'SKIPPED');
});

test('an iteration of a foreach has the loop body as its graph', async (t) => {
  await node.api.createWorkflow(
    JSON.stringify({
      properties: PARALLEL,
      workflow: {
        id: 'ui-loop',
        steps: [{ foreach: { id: 'loop', params: { loop_params: { value: { i: { value: [1, 2, 3], type: 'LONG_ARRAY' } }, type: 'MAP' } }, steps: [{ step: { id: 'a', type: 'NoOp', transition: { successors: { b: 'true' } } } }, { step: { id: 'b', type: 'NoOp' } }] } }],
      },
    }),
  );
  const run = await node.api.startWorkflow({ workflowId: 'ui-loop' });
  const v: InstanceView = await waitForEnd(node.api, 'ui-loop', run.instanceId);
  const o = v.steps[0]!.overview as ForeachOverview;
  const inst = await get(`/api/instances/ui-loop/${run.instanceId}`);
  t.is(inst.body.graph.nodes[0].kind, 'foreach');
  t.deepEqual(inst.body.graph.nodes[0].children.edges, [{ from: 'a', to: 'b', condition: 'true' }]);
  const it = await get(`/api/instances/${encodeURIComponent(o.inlineWorkflowId)}/2`);
  t.is(it.status, 200);
  t.deepEqual(it.body.graph.nodes.map((n: any) => n.id), ['a', 'b']);
  t.is(it.body.instance.parent.stepId, 'loop');
});

test('signals: send one, see it among the recent ones of its name', async (t) => {
  const bad = await post('/api/signals/ui-sig', { params: { n: true } });
  t.is(bad.status, 400);
  t.is(bad.body.error.field, 'params.n');
  for (const n of [1, 2, 3]) t.is((await post('/api/signals/ui-sig', { params: { n } })).status, 200);
  const list = await get('/api/signals?names=ui-sig&limit=2');
  t.is(list.body.signals[0].latestSeq, 3);
  t.deepEqual(list.body.signals[0].recent.map((s: any) => s.params.n), [3, 2]);
});

test('cluster info; an unknown API path is 404', async (t) => {
  const c = await get('/api/cluster');
  t.is(c.status, 200);
  t.is(c.body.mode, 'embedded');
  t.true(c.body.partitions.length > 0);
  t.is((await fetch(`${http.url}/api/nothing`)).status, 404);
});

test('the front end at / and for client-side routes; assets under /ui/, no way out of ui/dist', async (t) => {
  for (const path of ['/', '/instances/x/1', '/signals']) {
    const res = await fetch(`${http.url}${path}`);
    t.is(res.status, 200);
    t.regex(await res.text(), /<script src="\/ui\/app\.js"/);
  }
  const js = await fetch(`${http.url}/ui/app.js`);
  t.is(js.status, 200);
  t.regex(js.headers.get('content-type')!, /javascript/);
  t.is((await fetch(`${http.url}/ui/..%2Fpackage.json`)).status, 404);
  t.is((await fetch(`${http.url}/ui/nothing.js`)).status, 404);
  t.is((await fetch(`${http.url}/healthz`)).status, 200);
  t.is((await fetch(`${http.url}/somewhere/else`)).status, 404, 'only the front end\'s own paths answer index.html');
});

test('allowed actions follow Maestro\'s status-to-action map; an ended instance offers restart (from a step)', (t) => {
  const view = (status: string, steps: Array<[string, string]>) =>
    ({ status, steps: steps.map(([stepId, s]) => ({ stepId, status: s })) }) as unknown as InstanceView;
  const running = allowedActions(view('IN_PROGRESS', [['a', 'RUNNING'], ['b', 'PAUSED'], ['c', 'WAITING_FOR_SIGNALS'], ['d', 'CREATED'], ['e', 'NOT_CREATED'], ['f', 'SUCCEEDED']]));
  t.deepEqual(running.instance, ['stop', 'kill']);
  t.deepEqual(running.steps, { a: ['stop', 'kill', 'skip'], b: ['resume', 'stop', 'kill', 'skip'], c: ['stop', 'kill', 'skip', 'bypass'], d: ['stop', 'kill'], e: [], f: ['restart', 'skip'] });
  const failed = allowedActions(view('FAILED', [['a', 'FATALLY_FAILED'], ['e', 'NOT_CREATED']]));
  t.deepEqual(failed.instance, ['restart', 'unblock']);
  t.deepEqual(failed.steps, { a: ['restart'], e: [] });
});

test('resume a step attempt paused at a breakpoint; the snapshot offers resume', async (t) => {
  await node.api.createWorkflow(JSON.stringify({ properties: PARALLEL, workflow: { id: 'ui-bp', steps: [{ step: { id: 'p', type: 'NoOp' } }] } }));
  await node.api.createBreakpoint('ui-bp', 'p');
  const run = await node.api.startWorkflow({ workflowId: 'ui-bp' });
  await waitForStep(node.api, 'ui-bp', run.instanceId, 'p', 'PAUSED');
  const inst = await get(`/api/instances/ui-bp/${run.instanceId}`);
  t.true(inst.body.actions.steps.p.includes('resume'));
  const r = await post(`/api/instances/ui-bp/${run.instanceId}/steps/p/resume`, { attempt: 1 });
  t.is(r.status, 200, JSON.stringify(r.body));
  t.is((await waitForEnd(node.api, 'ui-bp', run.instanceId)).status, 'SUCCEEDED');
});

test('SSE: a client that leaves mid-stream is unsubscribed from the engine exactly once', async (t) => {
  let stops = 0;
  let stopped!: () => void;
  const unsubscribed = new Promise<void>((resolve) => (stopped = resolve));
  const api = Object.create(node.api) as typeof node.api;
  api.watchWithSnapshot = async (wf, id, onChange) => {
    const sub = await node.api.watchWithSnapshot(wf, id, onChange);
    return {
      view: sub.view,
      stop: () => {
        stops++;
        sub.stop();
        stopped();
      },
    };
  };
  const server = await startHttpServer({ port: 0, log: recordingLogger(), routes: httpRoutes({ api, nodeId: 'embedded', log: node.log }) });
  t.teardown(() => server.close());
  await node.api.createWorkflow(JSON.stringify({ properties: PARALLEL, workflow: { id: 'ui-leave', steps: [{ step: { id: 'h', type: 'Hold' } }] } }));
  const run = await node.api.startWorkflow({ workflowId: 'ui-leave' });
  const v = await waitForStep(node.api, 'ui-leave', run.instanceId, 'h', 'RUNNING');
  const ac = new AbortController();
  const res = await fetch(`${server.url}/api/instances/ui-leave/${run.instanceId}/events`, { signal: ac.signal });
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  t.regex(new TextDecoder().decode((await reader.read()).value), /^event: snapshot/);
  ac.abort();
  await unsubscribed;
  holds.release(v, 'h');
  await waitForEnd(node.api, 'ui-leave', run.instanceId);
  t.is(stops, 1);
});

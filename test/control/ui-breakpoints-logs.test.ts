/**
 * The web UI's breakpoint routes (src/control/ui-breakpoints.ts) and step-logs SSE stream
 * (src/control/ui-step-logs.ts) on an embedded node: create, list, a step pausing at it, the
 * step panel's view (an iteration's breakpoint is its root workflow's), paused attempts, delete
 * with resume, errors naming the field; live lines of a running attempt before it ends, the kept
 * logs of an ended one, and 503 without a live-log source.
 */
import test from 'ava';
import { createEmbeddedNode, type EmbeddedNode } from '../../src/node/embedded.js';
import { startHttpServer, type HttpServerHandle } from '../../src/control/http-server.js';
import { httpRoutes } from '../../src/control/http-routes.js';
import { talkRuntime } from '../fixtures/talk-runtime.js';
import { testRuntimes } from '../fixtures/test-runtimes.js';
import { waitForEnd, waitForStep } from '../helpers/wait.js';
import { recordingLogger } from '../helpers/log.js';
import { readSse, type SseEvent } from '../helpers/sse.js';

const talk = talkRuntime();
const letTalk = (attemptId: string): void => talk.go(attemptId);

let node: EmbeddedNode;
let http: HttpServerHandle;
test.before(async () => {
  const t = testRuntimes();
  node = await createEmbeddedNode({ extraRuntimes: [...t.runtimes, talk.runtime] });
  http = await startHttpServer({ port: 0, log: recordingLogger(), routes: httpRoutes({ api: node.api, nodeId: 'embedded', log: node.log, live: node.liveLogs }) });
});
test.after.always(async () => {
  await http?.close();
  await node?.close();
});

const PARALLEL = { owner: 'tester', run_strategy: { rule: 'PARALLEL', workflow_concurrency: 10 } };

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const init: RequestInit = { method };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers = { 'content-type': 'application/json' };
  }
  const res = await fetch(`${http.url}${path}`, init);
  return { status: res.status, body: await res.json() };
}

type Ev = SseEvent;
/** Reads SSE events from `path`, calling `onEvent` for each, until the stream ends or `until` says stop. */
const readEvents = (path: string, until: (events: Ev[]) => boolean, onEvent?: (e: Ev, all: Ev[]) => void): Promise<Ev[]> => readSse(`${http.url}${path}`, until, onEvent);

test.serial('breakpoints: create from the step, a run pauses there, the step view and paused list show it, delete with resume lets it go on', async (t) => {
  await node.api.createWorkflow(
    JSON.stringify({
      properties: PARALLEL,
      workflow: {
        id: 'bp-ui',
        steps: [
          { step: { id: 'a', type: 'NoOp', transition: { successors: { b: 'true', loop: 'true' } } } },
          { step: { id: 'b', type: 'NoOp' } },
          { foreach: { id: 'loop', params: { loop_params: { value: { i: { value: [1], type: 'LONG_ARRAY' } }, type: 'MAP' } }, steps: [{ step: { id: 'inner', type: 'NoOp' } }] } },
        ],
      },
    }),
  );
  // errors name the field
  t.like(await call('POST', '/api/breakpoints', { stepId: 'b' }), { status: 400, body: { error: { field: 'workflowId' } } });
  t.like(await call('POST', '/api/breakpoints', { workflowId: 'bp-ui', stepId: 7 }), { status: 400, body: { error: { field: 'stepId' } } });
  const unknownStep = await call('POST', '/api/breakpoints', { workflowId: 'bp-ui', stepId: 'nope' });
  t.like(unknownStep, { status: 400, body: { error: { field: 'stepId' } } });
  t.regex(unknownStep.body.error.message, /no step "nope"/);
  t.like(await call('POST', '/api/breakpoints', { workflowId: 'no-such-wf', stepId: 'b' }), { status: 404 });

  const made = await call('POST', '/api/breakpoints', { workflowId: 'bp-ui', stepId: 'b' });
  t.is(made.status, 200);
  t.like(made.body.breakpoint, { workflowId: 'bp-ui', stepId: 'b' });
  t.like(await call('POST', '/api/breakpoints', { workflowId: 'bp-ui', stepId: 'b' }), { status: 409 });
  t.like(await call('POST', '/api/breakpoints', { workflowId: 'bp-ui', stepId: 'inner' }), { status: 200 }); // a step inside the foreach
  const listed = await call('GET', '/api/breakpoints?workflow=bp-ui');
  t.deepEqual(listed.body.breakpoints.map((b: { stepId: string }) => b.stepId).sort(), ['b', 'inner']);

  const run = await node.api.startWorkflow({ workflowId: 'bp-ui' });
  await waitForStep(node.api, 'bp-ui', run.instanceId, 'b', 'PAUSED');
  const panel = await call('GET', `/api/instances/bp-ui/${run.instanceId}/steps/b/breakpoint`);
  t.is(panel.status, 200);
  t.like(panel.body, { workflowId: 'bp-ui', stepId: 'b', breakpoint: { workflowId: 'bp-ui', stepId: 'b' } });
  t.like(panel.body.paused, [{ workflowId: 'bp-ui', instanceId: run.instanceId, stepId: 'b', attempt: 1 }]);
  t.like((await call('GET', '/api/breakpoints/bp-ui/b/paused')).body.paused, [{ instanceId: run.instanceId, attempt: 1 }]);
  // a step with no breakpoint: none, nothing paused
  t.like((await call('GET', `/api/instances/bp-ui/${run.instanceId}/steps/a/breakpoint`)).body, { workflowId: 'bp-ui', stepId: 'a', breakpoint: null, paused: [] });

  // the iteration's step: its breakpoint is the root workflow's
  const withLoop = await node.api.getInstance('bp-ui', run.instanceId);
  const overview = withLoop.steps.find((s) => s.stepId === 'loop')?.overview as { inlineWorkflowId?: string } | undefined;
  t.truthy(overview?.inlineWorkflowId, 'the foreach overview names its inline workflow');
  await waitForStep(node.api, overview!.inlineWorkflowId!, 1, 'inner', 'PAUSED');
  const inIteration = await call('GET', `/api/instances/${encodeURIComponent(overview!.inlineWorkflowId!)}/1/steps/inner/breakpoint`);
  t.like(inIteration.body, { workflowId: 'bp-ui', stepId: 'inner', breakpoint: { workflowId: 'bp-ui' } });
  t.like(inIteration.body.paused, [{ workflowId: overview!.inlineWorkflowId, instanceId: 1, stepId: 'inner' }]);

  t.like(await call('DELETE', '/api/breakpoints/bp-ui/b?resume=maybe'), { status: 400, body: { error: { field: 'resume' } } });
  t.deepEqual((await call('DELETE', '/api/breakpoints/bp-ui/b?resume=true')).body, { resumed: 1 });
  t.deepEqual((await call('DELETE', '/api/breakpoints/bp-ui/inner?resume=true')).body, { resumed: 1 });
  t.like(await call('DELETE', '/api/breakpoints/bp-ui/b'), { status: 404 });
  t.is((await waitForEnd(node.api, 'bp-ui', run.instanceId)).status, 'SUCCEEDED');
  t.deepEqual((await call('GET', '/api/breakpoints?workflow=bp-ui')).body.breakpoints, []);
});

test.serial('step logs: the running attempt\'s lines arrive live before it ends, then end; an ended attempt sends its kept logs', async (t) => {
  await node.api.createWorkflow(JSON.stringify({ properties: PARALLEL, workflow: { id: 'logs-ui', steps: [{ step: { id: 'talk', type: 'Talk' } }] } }));
  const run = await node.api.startWorkflow({ workflowId: 'logs-ui' });
  const running = await waitForStep(node.api, 'logs-ui', run.instanceId, 'talk', 'RUNNING');
  const attemptId = running.steps[0]!.attempts[0]!.attemptId;
  let statusWhenFirstSeen: string | undefined;
  const events = await readEvents(
    `/api/instances/logs-ui/${run.instanceId}/steps/talk/logs?attempt=1`,
    (es) => es.at(-1)!.event === 'end',
    (e, all) => {
      const text = all.filter((x) => x.event === 'log' && x.data.stream === 'stdout').map((x) => x.data.text).join('');
      if (e.event === 'log' && text.includes('first') && statusWhenFirstSeen === undefined) {
        void node.api.getInstance('logs-ui', run.instanceId).then((v) => {
          statusWhenFirstSeen = v.steps[0]!.status;
          letTalk(attemptId); // only now may the step write its second line and end
        });
      }
    },
  );
  t.is(statusWhenFirstSeen, 'RUNNING', 'the first line came while the step ran');
  t.deepEqual(events[0], { event: 'attempt', data: { attempt: 1, attemptId } });
  const text = (stream: string) => events.filter((x) => x.event === 'log' && x.data.stream === stream).map((x) => x.data.text).join('');
  t.is(text('stdout'), 'first\nsecond\n');
  t.is(text('stderr'), 'warn\n');
  t.deepEqual(events.at(-1), { event: 'end', data: { attempt: 1, status: 'SUCCEEDED' } });

  // ended: the kept logs, then end
  const kept = await readEvents(`/api/instances/logs-ui/${run.instanceId}/steps/talk/logs`, () => false);
  t.deepEqual(
    kept.map((e) => e.event),
    ['attempt', 'log', 'log', 'end'],
  );
  t.is(kept.filter((e) => e.event === 'log' && e.data.stream === 'stdout')[0]!.data.text, 'first\nsecond\n');

  // errors before the stream: JSON naming the field
  t.like(await call('GET', `/api/instances/logs-ui/${run.instanceId}/steps/nope/logs`), { status: 400, body: { error: { field: 'step_id' } } });
  t.like(await call('GET', `/api/instances/logs-ui/${run.instanceId}/steps/talk/logs?attempt=x`), { status: 400, body: { error: { field: 'attempt' } } });
  t.like(await call('GET', `/api/instances/logs-ui/zero/steps/talk/logs`), { status: 400, body: { error: { field: 'instanceId' } } });
  t.like(await call('GET', `/api/instances/logs-ui/999/steps/talk/logs`), { status: 404 });
});

test.serial('step logs without a live-log source answer 503 naming the node', async (t) => {
  const bare = await startHttpServer({ port: 0, log: recordingLogger(), routes: httpRoutes({ api: node.api, nodeId: 'bare', log: recordingLogger() }) });
  t.teardown(() => bare.close());
  const res = await fetch(`${bare.url}/api/instances/logs-ui/1/steps/talk/logs`);
  t.is(res.status, 503);
  t.regex(((await res.json()) as { error: { message: string } }).error.message, /node bare keeps no live task logs/);
});

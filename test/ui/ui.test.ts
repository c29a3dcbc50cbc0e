/**
 * The web UI in a real browser: Debian's chromium, headless, driven by playwright-core, against
 * an embedded node serving the committed bundle (ui/dist). Open an instance page, see a held step
 * turn SUCCEEDED live (SSE), expand a foreach and one of its iterations in place, press stop on a
 * running instance and see STOPPED. Saves a screenshot (in the temp dir; docs/ui-instance.png, the
 * README's, with MAESTRO_UPDATE_SCREENSHOT=1). Also: the committed bundle is
 * what ui/src builds to.
 */
import test from 'ava';
import { existsSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { chromiumMissing, launchChromium, watchErrors } from './browser.js';
import { createEmbeddedNode, type EmbeddedNode } from '../../src/node/embedded.js';
import { startHttpServer, type HttpServerHandle } from '../../src/control/http-server.js';
import { httpRoutes } from '../../src/control/http-routes.js';
import { testRuntimes, type Holds } from '../fixtures/test-runtimes.js';
import { talkRuntime, type Talk } from '../fixtures/talk-runtime.js';
import { waitForEnd, waitForStep } from '../helpers/wait.js';
import { recordingLogger } from '../helpers/log.js';
import { testIf } from '../helpers/skip.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SCREENSHOT = process.env.MAESTRO_UPDATE_SCREENSHOT
  ? fileURLToPath(new URL('../../docs/ui-instance.png', import.meta.url))
  : join(tmpdir(), `maestro-ui-instance-${process.pid}.png`);
const browserTest = testIf(chromiumMissing, { serial: true });

test('the committed bundle ui/dist is what ui/src builds to (npm run build:ui)', async (t) => {
  const r = await promisify(execFile)(process.execPath, ['scripts/build-ui.mjs', '--check'], { cwd: ROOT }).then(
    () => ({ ok: true, err: '' }),
    (e: { stderr?: string }) => ({ ok: false, err: e.stderr ?? String(e) }),
  );
  t.true(r.ok, r.err);
});

let node: EmbeddedNode;
let holds: Holds;
let talk: Talk;
let http: HttpServerHandle;
let browser: Browser;

test.before(async () => {
  if (chromiumMissing) return;
  const rt = testRuntimes();
  holds = rt.holds;
  talk = talkRuntime();
  node = await createEmbeddedNode({ extraRuntimes: [...rt.runtimes, talk.runtime] });
  http = await startHttpServer({ port: 0, log: recordingLogger(), routes: httpRoutes({ api: node.api, nodeId: 'embedded', log: node.log, live: node.liveLogs }) });
  browser = await launchChromium();
});
test.after.always(async () => {
  await browser?.close();
  await http?.close();
  await node?.close();
});

const PARALLEL = { owner: 'ui-tester', run_strategy: { rule: 'PARALLEL', workflow_concurrency: 10 } };

async function openPage(path: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1500, height: 820 } });
  (page as Page & { jsErrors?: string[] }).jsErrors = watchErrors(page);
  await page.goto(`${http.url}${path}`);
  return page;
}

const jsErrors = (page: Page): string[] => (page as Page & { jsErrors?: string[] }).jsErrors ?? [];

const node$ = (page: Page, step: string, status: string, scope = '') => page.locator(`${scope} .node[data-step="${step}"][data-status="${status}"]`.trim()).first();

browserTest('an instance page: a held step turns SUCCEEDED live, a foreach expands in place down to an iteration\'s steps', async (t) => {
  // A child workflow with a foreach of its own: the subworkflow node opens to it, and it opens again (nested levels).
  await node.api.createWorkflow(
    JSON.stringify({
      properties: PARALLEL,
      workflow: {
        id: 'ui-child',
        steps: [
          { step: { id: 'c1', type: 'NoOp', transition: { successors: { inner: 'true' } } } },
          { foreach: { id: 'inner', params: { loop_params: { value: { j: { value: [1, 2], type: 'LONG_ARRAY' } }, type: 'MAP' } }, steps: [{ step: { id: 'leaf', type: 'NoOp' } }] } },
        ],
      },
    }),
  );
  await node.api.createWorkflow(
    JSON.stringify({
      properties: PARALLEL,
      workflow: {
        id: 'ui-demo',
        name: 'The web UI test',
        steps: [
          { step: { id: 'prepare', type: 'NoOp', transition: { successors: { loop: 'true', review: 'true', child: 'true' } } } },
          { subworkflow: { id: 'child', params: { subworkflow_id: { value: 'ui-child', type: 'STRING' } }, transition: { successors: { publish: 'true' } } } },
          {
            foreach: {
              id: 'loop',
              params: { loop_params: { value: { i: { value: [1, 2, 3, 4, 5, 6], type: 'LONG_ARRAY' } }, type: 'MAP' } },
              steps: [{ step: { id: 'fetch', type: 'Echo', params: { say: { expression: 'i * 10', type: 'LONG' } }, transition: { successors: { store: 'true' } } } }, { step: { id: 'store', type: 'NoOp' } }],
              transition: { successors: { publish: 'true' } },
            },
          },
          { step: { id: 'review', type: 'Hold', transition: { successors: { publish: 'true' } } } },
          { step: { id: 'publish', type: 'Hold' } },
        ],
      },
    }),
  );
  const run = await node.api.startWorkflow({ workflowId: 'ui-demo' });
  const held = await waitForStep(node.api, 'ui-demo', run.instanceId, 'review', 'RUNNING');
  const page = await openPage(`/instances/ui-demo/${run.instanceId}`);
  await node$(page, 'review', 'RUNNING').waitFor();
  t.pass('the held step shows RUNNING');
  holds.release(held, 'review');
  await node$(page, 'review', 'SUCCEEDED').waitFor();
  t.pass('and turns SUCCEEDED without a reload');
  await node$(page, 'publish', 'RUNNING').waitFor();

  // The foreach folds into one node with its rollup; expanding shows the ranges and chips.
  await node$(page, 'loop', 'SUCCEEDED').waitFor();
  t.regex(await node$(page, 'loop', 'SUCCEEDED').innerText(), /12\/12 steps done/);
  await page.click('[data-fold="loop"]');
  await page.locator('[data-ov-status="SUCCEEDED"]').first().waitFor();
  t.regex(await page.locator('[data-ov-status="SUCCEEDED"]').first().innerText(), /6 SUCCEEDED: 1-6/);
  await page.click('[data-iteration="2"]');
  await node$(page, 'fetch', 'SUCCEEDED', '.sub').waitFor();
  await node$(page, 'store', 'SUCCEEDED', '.sub').waitFor();
  // The step panel of a nested step: its outputs.
  await node$(page, 'fetch', 'SUCCEEDED', '.sub').click();
  await page.locator('[data-panel="fetch"]').waitFor();
  t.regex(await page.locator('[data-panel="fetch"]').innerText(), /"echo": 20/);
  // The subworkflow folds too: open it, then its own foreach, then an iteration of that.
  await node$(page, 'child', 'SUCCEEDED').waitFor();
  await page.click('[data-fold="child"]');
  await node$(page, 'c1', 'SUCCEEDED', '.sub').waitFor();
  await page.click('[data-fold="inner"]');
  await page.click('.node[data-step="inner"] [data-iteration="2"]');
  await node$(page, 'leaf', 'SUCCEEDED', '.sub .sub').waitFor();
  await page.screenshot({ path: SCREENSHOT, fullPage: true });
  t.true(existsSync(SCREENSHOT));
  t.log(`screenshot: ${SCREENSHOT}`);

  const v = await node.api.getInstance('ui-demo', run.instanceId);
  holds.release(v, 'publish');
  await page.locator('.inst-head .badge[data-status="SUCCEEDED"]').waitFor();
  t.deepEqual(jsErrors(page), []);
  await page.close();
});

browserTest('stop on a running instance: the page shows STOPPED', async (t) => {
  await node.api.createWorkflow(JSON.stringify({ properties: PARALLEL, workflow: { id: 'ui-stop', steps: [{ step: { id: 'h', type: 'Hold' } }] } }));
  const run = await node.api.startWorkflow({ workflowId: 'ui-stop' });
  await waitForStep(node.api, 'ui-stop', run.instanceId, 'h', 'RUNNING');
  const page = await openPage(`/instances/ui-stop/${run.instanceId}`);
  await node$(page, 'h', 'RUNNING').waitFor();
  await page.click('[data-action="stop"]');
  await page.locator('.inst-head .badge[data-status="STOPPED"]').waitFor();
  await node$(page, 'h', 'STOPPED').waitFor();
  t.is(await page.locator('[data-action="stop"]').count(), 0, 'stop is no longer offered');
  t.is(await page.locator('[data-action="restart"]').count(), 1);
  t.deepEqual(jsErrors(page), []);
  await page.close();
});

browserTest('a FAILED STRICT_SEQUENTIAL instance: unblock from the page shows raw FAILED_1 (header and list); a restart lists both runs with their raw status', async (t) => {
  const def = { properties: { owner: 'ui-tester', run_strategy: 'STRICT_SEQUENTIAL' }, workflow: { id: 'ui-raw', steps: [{ step: { id: 'job', type: 'Hold' } }] } };
  await node.api.createWorkflow(JSON.stringify(def));
  const run = await node.api.startWorkflow({ workflowId: 'ui-raw' });
  holds.release(await waitForStep(node.api, 'ui-raw', run.instanceId, 'job', 'RUNNING'), 'job', { status: 'FATALLY_FAILED', error: 'boom' });
  t.is((await waitForEnd(node.api, 'ui-raw', run.instanceId)).status, 'FAILED');
  const page = await openPage(`/instances/ui-raw/${run.instanceId}`);
  await page.locator('.inst-head .badge[data-status="FAILED"]').waitFor();
  t.is(await page.locator('.inst-head .raw-status').count(), 0, 'a blocking FAILED instance shows no raw status of its own');
  await page.click('[data-action="unblock"]');
  await page.locator('.inst-head .raw-status', { hasText: 'raw FAILED_1' }).waitFor();
  await page.goto(`${http.url}/instances?workflow=ui-raw`);
  await page.locator('td', { hasText: 'raw FAILED_1' }).waitFor();
  await page.goto(`${http.url}/instances/ui-raw/${run.instanceId}`);
  await page.click('[data-action="restart"]');
  holds.release(await waitForStep(node.api, 'ui-raw', run.instanceId, 'job', 'RUNNING'), 'job', { status: 'FATALLY_FAILED', error: 'boom again' });
  await page.locator('.inst-meta.runs .run', { hasText: 'raw FAILED_1' }).waitFor();
  t.is(await page.locator('.inst-meta.runs .run').count(), 2);
  t.deepEqual(jsErrors(page), []);
  await page.close();
});

browserTest('the other pages render: workflows, a workflow, instances filtered, signals (send one), cluster', async (t) => {
  const page = await openPage('/');
  await page.locator('a[href="/workflows/ui-stop"]').waitFor();
  await page.click('a[href="/workflows/ui-stop"]');
  await page.locator('text=PARALLEL, 10 at once').waitFor();
  await page.goto(`${http.url}/instances?workflow=ui-stop&status=STOPPED`);
  await page.locator('a[href="/instances/ui-stop/1"]').waitFor();
  await page.goto(`${http.url}/signals`);
  await page.fill('input[name="name"]', 'ui-signal');
  await page.fill('input[name="params"]', '{"n": 7}');
  await page.click('form.send button[type="submit"]');
  await page.locator('.ok', { hasText: 'signal ui-signal #1' }).waitFor();
  await page.fill('input[name="params"]', '{"n": true}');
  await page.click('form.send button[type="submit"]');
  await page.locator('.error', { hasText: 'params.n' }).waitFor();
  await page.goto(`${http.url}/cluster`);
  await page.locator('.part').first().waitFor();
  t.true((await page.locator('.part').count()) > 0);
  t.deepEqual(jsErrors(page).filter((e) => !/status of 400|^400 .*\/api\/signals\/ui-signal$/.test(e)), []);
  await page.close();
});

browserTest('a 25,000-iteration foreach is its rollup and ranges: a bounded page, not 25,000 nodes', async (t) => {
  await node.api.createWorkflow(
    JSON.stringify({
      properties: PARALLEL,
      workflow: {
        id: 'ui-big',
        steps: [
          {
            foreach: {
              id: 'big',
              concurrency: 3,
              params: { loop_params: { value: { i: { expression: 'Util.intsBetween(0, 25000, 1)', type: 'LONG_ARRAY' } }, type: 'MAP' } },
              steps: [{ step: { id: 'work', type: 'Hold' } }],
            },
          },
        ],
      },
    }),
  );
  const run = await node.api.startWorkflow({ workflowId: 'ui-big' });
  const page = await openPage(`/instances/ui-big/${run.instanceId}`);
  await node$(page, 'big', 'RUNNING').waitFor();
  await page.click('[data-fold="big"]');
  await page.locator('.ov-line', { hasText: '25000 iterations' }).waitFor();
  const started = Date.now();
  await page.click('[data-iteration="1"]');
  await node$(page, 'work', 'RUNNING', '.sub').waitFor();
  t.true(Date.now() - started < 10_000, 'opening an iteration stays quick');
  t.true((await page.locator('.node').count()) <= 3, 'the foreach, and one opened iteration of one step');
  t.true((await page.locator('.chip').count()) <= 24);
  await page.click('[data-action="stop"]');
  await page.locator('.inst-head .badge[data-status="STOPPED"]').waitFor();
  await holds.idle();
  t.deepEqual(jsErrors(page), []);
  await page.close();
});

browserTest('breakpoints from the UI: break here, the step pauses (PAUSED), resume it, remove the breakpoint on the workflow page', async (t) => {
  await node.api.createWorkflow(
    JSON.stringify({ properties: PARALLEL, workflow: { id: 'ui-bp', steps: [{ step: { id: 'first', type: 'Hold', transition: { successors: { gate: 'true' } } } }, { step: { id: 'gate', type: 'NoOp' } }] } }),
  );
  const run = await node.api.startWorkflow({ workflowId: 'ui-bp' });
  const held = await waitForStep(node.api, 'ui-bp', run.instanceId, 'first', 'RUNNING');
  const page = await openPage(`/instances/ui-bp/${run.instanceId}`);
  await node$(page, 'gate', 'NOT_CREATED').click();
  await page.click('[data-panel="gate"] .bp-add');
  await page.locator('[data-panel="gate"] [data-breakpoint="set"]').waitFor();
  t.deepEqual((await node.api.listBreakpoints('ui-bp')).map((b) => b.stepId), ['gate'], 'the breakpoint is stored');
  holds.release(held, 'first');
  await node$(page, 'gate', 'PAUSED').waitFor();
  t.pass('the step paused at the breakpoint, shown live');
  // the panel (now of the created step) lists the paused attempt and offers resume
  await page.locator(`[data-panel="gate"] tr[data-paused="ui-bp/${run.instanceId}"]`).waitFor();
  await page.click('[data-panel="gate"] [data-step-action="resume"]');
  await node$(page, 'gate', 'SUCCEEDED').waitFor();
  await page.locator('.inst-head .badge[data-status="SUCCEEDED"]').waitFor();
  // the workflow page lists it; remove it there
  await page.goto(`${http.url}/workflows/ui-bp`);
  await page.locator('tr[data-bp-step="gate"]').waitFor();
  await page.click('tr[data-bp-step="gate"] .bp-rm');
  await page.locator('.wf-breakpoints', { hasText: 'none (set one' }).waitFor();
  t.deepEqual(await node.api.listBreakpoints('ui-bp'), []);
  t.deepEqual(jsErrors(page), []);
  await page.close();
});

browserTest('the step panel shows a running attempt\'s log lines live, then its end', async (t) => {
  await node.api.createWorkflow(JSON.stringify({ properties: PARALLEL, workflow: { id: 'ui-logs', steps: [{ step: { id: 'talk', type: 'Talk' } }] } }));
  const run = await node.api.startWorkflow({ workflowId: 'ui-logs' });
  const v = await waitForStep(node.api, 'ui-logs', run.instanceId, 'talk', 'RUNNING');
  const page = await openPage(`/instances/ui-logs/${run.instanceId}`);
  await node$(page, 'talk', 'RUNNING').click();
  const stdout = page.locator('[data-panel="talk"] pre[data-stream="stdout"]');
  await stdout.filter({ hasText: 'first' }).waitFor();
  t.is((await node.api.getInstance('ui-logs', run.instanceId)).steps[0]!.status, 'RUNNING', 'the line came while the step ran');
  t.false((await stdout.innerText()).includes('second'));
  await page.locator('[data-panel="talk"] pre[data-stream="stderr"]', { hasText: 'warn' }).waitFor();
  talk.go(v.steps[0]!.attempts[0]!.attemptId);
  await page.locator('[data-panel="talk"] [data-log-state="ended"]').waitFor();
  t.is(await stdout.innerText(), 'first\nsecond\n');
  await node$(page, 'talk', 'SUCCEEDED').waitFor();
  t.deepEqual(jsErrors(page), []);
  await page.close();
});

browserTest('a folded foreach\'s counts follow its iterations\' ends; an opened iteration updates live over its own stream', async (t) => {
  await node.api.createWorkflow(
    JSON.stringify({
      properties: PARALLEL,
      workflow: { id: 'ui-live-iter', steps: [{ foreach: { id: 'loop', params: { loop_params: { value: { i: { value: [1, 2, 3], type: 'LONG_ARRAY' } }, type: 'MAP' } }, steps: [{ step: { id: 'w', type: 'Hold' } }] } }] },
    }),
  );
  const run = await node.api.startWorkflow({ workflowId: 'ui-live-iter' });
  const root = await waitForStep(node.api, 'ui-live-iter', run.instanceId, 'loop', 'RUNNING');
  const inline = (root.steps[0]!.overview as { inlineWorkflowId: string }).inlineWorkflowId;
  const its = await Promise.all([1, 2, 3].map((i) => waitForStep(node.api, inline, i, 'w', 'RUNNING')));
  const page = await browser.newPage({ viewport: { width: 1500, height: 820 } });
  // counts the page's EventSources that are not closed
  await page.addInitScript(() => {
    const Native = window.EventSource;
    const all: EventSource[] = [];
    window.EventSource = class extends Native {
      constructor(url: string | URL, init?: EventSourceInit) {
        super(url, init);
        all.push(this);
      }
    } as typeof EventSource;
    (window as unknown as { openStreams(): string[] }).openStreams = () => all.filter((e) => e.readyState !== 2).map((e) => e.url);
  });
  const errors = watchErrors(page);
  await page.goto(`${http.url}/instances/ui-live-iter/${run.instanceId}`);
  const rollup = (text: string) => page.locator('.node[data-step="loop"] .rollup', { hasText: text }).first();
  await rollup('0/0 steps done').waitFor();
  // folded, nothing opened: the foreach's status does not change, its counts do (a progress
  // change on the root's stream, src/workflow/progress-changes.ts)
  holds.release(its[2]!, 'w');
  await rollup('1/1 steps done').waitFor();
  t.is((await node.api.getInstance('ui-live-iter', run.instanceId)).steps[0]!.status, 'RUNNING');
  await page.click('[data-fold="loop"]');
  await page.click('[data-iteration="1"]');
  await node$(page, 'w', 'RUNNING', '.sub').waitFor();
  const iterationStream = `/api/instances/${encodeURIComponent(inline)}/1/events`;
  const openStreams = () => page.evaluate(() => (window as unknown as { openStreams(): string[] }).openStreams());
  t.true((await openStreams()).some((u) => u.endsWith(iterationStream)), 'the opened iteration has its own stream');
  holds.release(its[0]!, 'w');
  await node$(page, 'w', 'SUCCEEDED', '.sub').waitFor();
  t.pass('the opened iteration turned SUCCEEDED live');
  await rollup('2/2 steps done').waitFor();
  // iteration 2 (still running) opened, then folded away: its stream is closed
  await page.click('[data-iteration="2"]');
  await node$(page, 'w', 'RUNNING', '.sub').waitFor();
  t.true((await openStreams()).some((u) => u.endsWith(`/api/instances/${encodeURIComponent(inline)}/2/events`)));
  await page.click('[data-fold="loop"]');
  await page.waitForFunction((path) => !(window as unknown as { openStreams(): string[] }).openStreams().some((u) => u.includes(path)), `/${encodeURIComponent(inline)}/`);
  t.deepEqual((await openStreams()).map((u) => new URL(u).pathname), [`/api/instances/ui-live-iter/${run.instanceId}/events`], 'only the root\'s stream is left');
  holds.release(its[1]!, 'w');
  await node$(page, 'loop', 'SUCCEEDED').waitFor();
  await rollup('3/3 steps done').waitFor();
  t.deepEqual(errors, []);
  await page.close();
});

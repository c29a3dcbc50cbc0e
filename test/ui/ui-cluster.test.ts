/**
 * The web UI against a real cluster (test/cluster/harness.ts: nats-server, etcd, three node
 * processes, Shell enabled): a node's UI shows an instance that another node owns and whose Shell
 * step runs on yet another node or the owner — the step's live log lines (sent over the attempt-
 * log topic) appear in the panel while it runs, the step turns SUCCEEDED live — and the cluster
 * page lists every member and the whole partition map. Skipped, saying why, without the servers
 * or chromium.
 */
import test from 'ava';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { chromiumMissing, launchChromium, watchErrors } from './browser.js';
import { partitionOf } from '../../src/core/partition.js';
import type { ClusterInfo } from '../../src/workflow/engine-api.js';
import { ClusterHarness, clusterSkipReason, type NodeProc } from '../cluster/harness.js';
import { waitForEnd, waitForStep } from '../helpers/wait.js';
import { testIf } from '../helpers/skip.js';

const PARTITIONS = 64;
const missing = clusterSkipReason() ?? chromiumMissing;
const uiClusterTest = testIf(missing, { serial: true });

let browser: Browser | undefined;
test.after.always(async () => {
  await browser?.close();
});

async function openPage(node: NodeProc, path: string): Promise<{ page: Page; errors: string[] }> {
  browser ??= await launchChromium();
  const page = await browser.newPage({ viewport: { width: 1500, height: 820 } });
  const errors = watchErrors(page);
  await page.goto(`${node.httpUrl}${path}`);
  return { page, errors };
}

uiClusterTest("a node's UI shows another node's instance live: a Shell step's log lines from the node running it, SUCCEEDED live; the cluster page lists every member and partition", async (t) => {
  const h = await ClusterHarness.start({ nodes: 3, env: { MAESTRO_SHELL: '1', MAESTRO_PARTITIONS: String(PARTITIONS) } });
  t.teardown(() => h.stop());
  const dir = mkdtempSync(join(tmpdir(), 'maestro-ui-cluster-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const go = join(dir, 'go');
  const client = h.client(0);
  await client.createWorkflow(
    JSON.stringify({
      properties: { owner: 'ui-cluster', run_strategy: { rule: 'PARALLEL', workflow_concurrency: 10 } },
      workflow: {
        id: 'ui-cl',
        steps: [
          {
            step: {
              id: 'talk',
              type: 'Shell',
              retry_policy: { error_retry_limit: 0 },
              params: { command: { value: `echo first; echo warn >&2; while [ ! -f ${go} ]; do sleep 0.02; done; echo second`, type: 'STRING' } },
              transition: { successors: { after: 'true' } },
            },
          },
          { step: { id: 'after', type: 'NoOp' } },
        ],
      },
    }),
  );
  const run = await client.startWorkflow({ workflowId: 'ui-cl' });
  const running = await waitForStep(client, 'ui-cl', run.instanceId, 'talk', 'RUNNING');
  const attemptId = running.steps.find((s) => s.stepId === 'talk')!.attempts.at(-1)!.attemptId;

  // who owns the instance (partition map) and whose executor runs the attempt (the sink's accept)
  const info: ClusterInfo = await client.clusterInfo();
  const partition = partitionOf(`ui-cl/${run.instanceId}`, PARTITIONS);
  const owner = info.partitions.find((p) => p.partition === partition)!.nodeId;
  await h.waitForRecords('accept of the Shell attempt', 1, (r) => r.kind === 'accept' && r.attemptId === attemptId);
  const runner = h.sinkRecords().find((r) => r.kind === 'accept' && r.attemptId === attemptId)!.node;
  const viewer = h.nodes.find((n) => n.nodeId !== owner && n.nodeId !== runner)!;
  t.log(`owner ${owner}, runner ${runner}, viewer ${viewer.nodeId} (${viewer.httpUrl})`);
  t.truthy(viewer, 'a node that neither owns the instance nor runs its step');

  const { page, errors } = await openPage(viewer, `/instances/ui-cl/${run.instanceId}`);
  await page.locator('.node[data-step="talk"][data-status="RUNNING"]').click();
  const stdout = page.locator('[data-panel="talk"] pre[data-stream="stdout"]');
  await stdout.filter({ hasText: 'first' }).waitFor();
  await page.locator('[data-panel="talk"] pre[data-stream="stderr"]', { hasText: 'warn' }).waitFor();
  t.is((await client.getInstance('ui-cl', run.instanceId)).steps.find((s) => s.stepId === 'talk')!.status, 'RUNNING', 'the lines came while the step ran');
  t.false((await stdout.innerText()).includes('second'));
  writeFileSync(go, '');
  await stdout.filter({ hasText: 'second' }).waitFor();
  await page.locator('[data-panel="talk"] [data-log-state="ended"]').waitFor();
  t.is(await stdout.innerText(), 'first\nsecond\n');
  await page.locator('.node[data-step="talk"][data-status="SUCCEEDED"]').waitFor();
  await page.locator('.node[data-step="after"][data-status="SUCCEEDED"]').waitFor();
  await page.locator('.inst-head .badge[data-status="SUCCEEDED"]').waitFor();
  t.is((await waitForEnd(client, 'ui-cl', run.instanceId)).status, 'SUCCEEDED');

  // the cluster page of the same node: every member, every partition with its owner
  await page.goto(`${viewer.httpUrl}/cluster`);
  await page.locator('.part').first().waitFor();
  t.is(await page.locator('.part').count(), PARTITIONS);
  const members = await page.locator('table.list tbody tr').allInnerTexts();
  t.is(members.length, 3);
  for (const n of h.nodes) t.true(members.some((m) => m.includes(n.nodeId) && m.includes(n.grpcAddress)), `member ${n.nodeId} listed`);
  const titles = await page.locator('.part').evaluateAll((els) => els.map((e) => e.getAttribute('title') ?? ''));
  t.true(
    titles.every((x) => h.nodes.some((n) => x.includes(`: ${n.nodeId} epoch`))),
    `every partition has a member as owner: ${titles.filter((x) => !h.nodes.some((n) => x.includes(`: ${n.nodeId} epoch`))).join('; ')}`,
  );
  t.regex(await page.locator('h2').innerText(), new RegExp(`this node ${viewer.nodeId}`));
  t.deepEqual(errors, []);
  await page.close();
});

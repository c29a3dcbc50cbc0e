import test from 'ava';
import { closeNode, definition, startNode } from '../control/harness.js';
import { recordingLogger, type LogRecord } from '../helpers/log.js';
import { waitForEnd } from '../helpers/wait.js';
import { logOwnershipChange, membershipLogger } from '../../src/node/cluster-log.js';
import { logFormat } from '../../src/log/logger.js';
import { logLifecycle } from '../../src/workflow/lifecycle-log.js';
import type { InstanceState } from '../../src/core/instance/state.js';

// The info lines of a node say what happens: runs starting and ending, failed step attempts;
// a successful step is debug only.

const at = (records: LogRecord[], level: LogRecord['level'], message: string) => records.filter((r) => r.level === level && r.message === message);

test('an embedded node logs instance started / step attempt failed / instance ended at info', async (t) => {
  const log = recordingLogger();
  const { node, holds } = await startNode({ log });
  t.teardown(() => closeNode(node, holds));
  await node.api.createWorkflow(definition('life-ok', [{ id: 'a', type: 'Echo', params: { say: { type: 'STRING', value: 'hi' } } }, { id: 'b' }]), 'json');
  await node.api.createWorkflow(definition('life-bad', [{ id: 'ok' }, { id: 'bad', type: 'Fail', params: { error: { type: 'STRING', value: 'quota exceeded' } }, retries: 0 }]), 'json');
  const ok = await node.api.startWorkflow({ workflowId: 'life-ok' });
  t.is((await waitForEnd(node.api, 'life-ok', ok.instanceId)).status, 'SUCCEEDED');
  const bad = await node.api.startWorkflow({ workflowId: 'life-bad' });
  t.is((await waitForEnd(node.api, 'life-bad', bad.instanceId)).status, 'FAILED');

  const started = at(log.records, 'info', 'instance started');
  t.deepEqual(
    started.map((r) => [r.fields['workflowId'], r.fields['instanceId'], r.fields['runId'], r.fields['module']]),
    [
      ['life-ok', ok.instanceId, 1, 'partitions'],
      ['life-bad', bad.instanceId, 1, 'partitions'],
    ],
  );
  const ended = at(log.records, 'info', 'instance ended');
  t.deepEqual(ended.map((r) => [r.fields['workflowId'], r.fields['status']]), [['life-ok', 'SUCCEEDED'], ['life-bad', 'FAILED']]);
  for (const r of ended) t.true(typeof r.fields['durationMs'] === 'number' && (r.fields['durationMs'] as number) >= 0);
  const failed = at(log.records, 'info', 'step attempt failed');
  t.is(failed.length, 1);
  t.like(failed[0]!.fields, { workflowId: 'life-bad', stepId: 'bad', attempt: 1, status: 'USER_FAILED', error: 'quota exceeded' });
  // dispatched successes (Echo; Fail's sibling ok is a NoOp run inline, not logged) are debug, not info
  t.deepEqual(at(log.records, 'debug', 'step attempt succeeded').map((r) => r.fields['stepId']), ['a']);
  t.false(log.records.some((r) => r.level === 'info' && /succeeded/.test(r.message)));
});

test('cluster lines: partitions taken and released, members joining and leaving', (t) => {
  const log = recordingLogger();
  logOwnershipChange(log, { kind: 'acquired', partition: 3, epoch: 7 });
  logOwnershipChange(log, { kind: 'released', partition: 3, epoch: 7, reason: 'rebalance' });
  const onView = membershipLogger(log, 'n1');
  const m = (nodeId: string) => ({ nodeId, grpcAddress: `${nodeId}:1`, startedAtMs: 0 });
  onView({ version: 1, members: [m('n1')] });
  onView({ version: 2, members: [m('n1'), m('n2')] });
  onView({ version: 3, members: [m('n2')] });
  t.deepEqual(
    log.records.map((r) => [r.level, r.message, r.fields['partition'] ?? r.fields['nodeId'] ?? r.fields['members']]),
    [
      ['info', 'partition taken', 3],
      ['info', 'partition released', 3],
      ['info', 'cluster members', ['n1']],
      ['info', 'node joined', 'n2'],
      ['info', 'node left', 'n1'],
    ],
  );
  t.like(log.records[1]!.fields, { reason: 'rebalance', epoch: 7 });
  t.like(log.records[4]!.fields, { self: true, members: 1 });
});

test('log format: pretty on a terminal, JSON otherwise; MAESTRO_LOG_FORMAT decides when set', (t) => {
  t.is(logFormat({}, true), 'pretty');
  t.is(logFormat({}, false), 'json');
  t.is(logFormat({ MAESTRO_LOG_FORMAT: 'json' }, true), 'json');
  t.is(logFormat({ MAESTRO_LOG_FORMAT: 'Pretty' }, false), 'pretty');
  t.throws(() => logFormat({ MAESTRO_LOG_FORMAT: 'xml' }, false), { message: /MAESTRO_LOG_FORMAT: unknown log format "xml"/ });
});

test('child instances (foreach iterations, subworkflows) start and end at debug; their failed attempts stay info', (t) => {
  const log = recordingLogger();
  const base = { workflowId: 'child', instanceId: 7, runId: 1, createdAtMs: 0, parent: { workflowId: 'p', instanceId: 1, runId: 1, stepId: 'loop', attempt: 1 } };
  const running = { ...base, status: 'IN_PROGRESS', startedAtMs: 1 } as unknown as InstanceState;
  const done = { ...base, status: 'FAILED', startedAtMs: 1, endedAtMs: 5 } as unknown as InstanceState;
  logLifecycle(log, undefined, running, []);
  logLifecycle(log, running, running, []);
  logLifecycle(log, running, done, [{ stepId: 's', attempt: 1, result: { status: 'USER_FAILED', error: 'bad' } }]);
  t.deepEqual(
    log.records.map((r) => [r.level, r.message]),
    [
      ['debug', 'instance started'],
      ['info', 'step attempt failed'],
      ['debug', 'instance ended'],
    ],
  );
  t.like(log.records[2]!.fields, { status: 'FAILED', durationMs: 4 });
});

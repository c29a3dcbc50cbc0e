import test from 'ava';
import * as grpc from '@grpc/grpc-js';
import { InstanceServiceClient } from '../../src/gen/maestro/v1/service.js';
import { GetInstanceRequest, GetInstanceResponse, type Instance, type StartWorkflowRequest, type StartWorkflowResponse } from '../../src/gen/maestro/v1/instance.js';
import type { Value } from '../../src/gen/maestro/v1/value.js';
import { ControlError } from '../../src/control/errors.js';
import { startHarness, type Harness } from './harness.js';
import { waitForEnd } from '../helpers/wait.js';

// Params and outputs travel as typed maestro.v1.Value: the declared type picks the oneof case
// (LONG -> long_value, DOUBLE -> double_value even for 3.0). Read here with the generated
// messages straight off the wire (no client mapping), so the case the server chose is visible.

let h: Harness;
let raw: InstanceServiceClient;

const def = JSON.stringify({
  properties: { owner: 'tester', run_strategy: 'parallel' },
  workflow: {
    id: 'typed',
    params: {
      n: { type: 'LONG', value: 1 },
      ratio: { type: 'DOUBLE', value: 1.5 },
      flag: { type: 'BOOLEAN', value: false },
      name: { type: 'STRING', value: 'x' },
      ids: { type: 'LONG_ARRAY', value: [1] },
      weights: { type: 'DOUBLE_ARRAY', value: [0.5] },
      opts: { type: 'MAP', value: { k: { type: 'STRING', value: 'v' } } },
    },
    steps: [
      {
        step: {
          id: 'echo',
          type: 'Echo',
          params: { say: { type: 'STRING', value: 'hi' }, scale: { type: 'DOUBLE', value: 2.0 }, count: { type: 'LONG', value: 7 } },
          transition: {},
        },
      },
    ],
  },
});

test.before(async () => {
  h = await startHarness();
  await h.client.createWorkflow(def);
  raw = new InstanceServiceClient(h.address, grpc.credentials.createInsecure());
});
test.after.always(async () => {
  raw?.close();
  await h?.close();
});

function rawCall<Req, Res>(method: (req: Req, cb: (err: grpc.ServiceError | null, res: Res) => void) => unknown, req: Req): Promise<Res> {
  return new Promise((resolve, reject) => method.call(raw, req, (err, res) => (err ? reject(err) : resolve(res))));
}

/** The oneof case a Value carries, as the wire said. */
function caseOf(v: Value | undefined): string {
  if (!v) return 'unset';
  const set = Object.entries(v).filter(([, x]) => x !== undefined).map(([k]) => k);
  return set.length === 1 ? set[0]! : `ambiguous(${set.join(',')})`;
}

async function startRaw(params: Record<string, Value>, requestId = ''): Promise<Instance> {
  const req: StartWorkflowRequest = { workflowId: 'typed', version: 0, params, requestId };
  const res = await rawCall<StartWorkflowRequest, StartWorkflowResponse>(raw.startWorkflow, req);
  return res.instance!;
}

async function getRaw(instanceId: number): Promise<Instance> {
  // Decode the bytes ourselves: the generic client hands back the raw response buffer.
  const bytes = await new Promise<Buffer>((resolve, reject) =>
    raw.makeUnaryRequest(
      '/maestro.v1.InstanceService/GetInstance',
      (r: GetInstanceRequest) => Buffer.from(GetInstanceRequest.encode(r).finish()),
      (b: Buffer) => b,
      { workflowId: 'typed', instanceId },
      (err, res) => (err ? reject(err) : resolve(res!)),
    ),
  );
  return GetInstanceResponse.decode(bytes).instance!;
}

test('LONG, DOUBLE, BOOLEAN, STRING, arrays and MAP params come back in their declared oneof case', async (t) => {
  const started = await startRaw({
    n: { longValue: 20 },
    ratio: { longValue: 3 }, // an integer for a DOUBLE: coerced, and sent back as a double
    flag: { boolValue: true },
    name: { stringValue: 'ann' },
    ids: { listValue: { values: [{ longValue: 1 }, { longValue: 2 }] } },
    weights: { listValue: { values: [{ doubleValue: 1 }, { doubleValue: 2.5 }] } },
    opts: { mapValue: { fields: { region: { stringValue: 'eu' }, size: { longValue: 5 } } } },
  });
  await waitForEnd(h.client, 'typed', started.instanceId);
  const inst = await getRaw(started.instanceId);
  const p = inst.params;
  t.is(caseOf(p['n']), 'longValue');
  t.is(p['n']?.longValue, 20);
  t.is(caseOf(p['ratio']), 'doubleValue', 'a DOUBLE 3.0 stays a double');
  t.is(p['ratio']?.doubleValue, 3);
  t.is(caseOf(p['flag']), 'boolValue');
  t.is(p['flag']?.boolValue, true);
  t.is(caseOf(p['name']), 'stringValue');
  t.deepEqual(p['ids']?.listValue?.values.map(caseOf), ['longValue', 'longValue']);
  t.deepEqual(p['ids']?.listValue?.values.map((v) => v.longValue), [1, 2]);
  t.deepEqual(p['weights']?.listValue?.values.map(caseOf), ['doubleValue', 'doubleValue'], 'DOUBLE_ARRAY elements are doubles, 1.0 too');
  t.is(caseOf(p['opts']), 'mapValue');
  t.is(caseOf(p['opts']?.mapValue?.fields['region']), 'stringValue');
  t.is(caseOf(p['opts']?.mapValue?.fields['size']), 'longValue', 'a map entry has no declared type: an integer is a long');

  const step = inst.steps.find((s) => s.stepId === 'echo')!;
  t.is(caseOf(step.params['scale']), 'doubleValue', 'a step DOUBLE param 2.0 is a double');
  t.is(caseOf(step.params['count']), 'longValue');
  t.is(step.params['count']?.longValue, 7);
  t.is(caseOf(step.outputs['echo']), 'stringValue');
  t.is(caseOf(step.attempts[0]?.outputs['echo']), 'stringValue', 'attempt outputs are typed too');
});

test('a LONG given as a string or a double is coerced and comes back as long_value', async (t) => {
  const a = await startRaw({ n: { stringValue: '42' } });
  const b = await startRaw({ n: { doubleValue: 43 } });
  await waitForEnd(h.client, 'typed', a.instanceId);
  await waitForEnd(h.client, 'typed', b.instanceId);
  t.is(caseOf((await getRaw(a.instanceId)).params['n']), 'longValue');
  t.is((await getRaw(a.instanceId)).params['n']?.longValue, 42);
  t.is((await getRaw(b.instanceId)).params['n']?.longValue, 43);
});

test('the TypeScript client gives plain JS values: numbers, booleans, arrays, objects', async (t) => {
  const view = await h.client.startWorkflow({ workflowId: 'typed', params: { n: 20, ratio: 3, flag: true, ids: [4, 5], opts: { a: { b: [1, 'x'] } } } });
  const done = await waitForEnd(h.client, 'typed', view.instanceId);
  t.like(done.params, { n: 20, ratio: 3, flag: true, name: 'x', ids: [4, 5], opts: { a: { b: [1, 'x'] } } });
  t.true(Number.isInteger(done.params['n']));
  t.deepEqual(done.steps[0]?.outputs, { echo: 'hi' });
});

test('a param Value with no case set is INVALID_ARGUMENT naming params.<name>', async (t) => {
  const err = await t.throwsAsync(startRaw({ n: {} }));
  t.is((err as unknown as grpc.ServiceError).code, grpc.status.INVALID_ARGUMENT);
  t.regex(err!.message, /params\.n/);
  const viaClient = await t.throwsAsync(h.client.startWorkflow({ workflowId: 'typed', params: { f: () => 1 } }), { instanceOf: Error });
  t.regex(viaClient!.message, /params\.f/, 'the client refuses what has no Value form, naming it');
  t.false(viaClient instanceof ControlError, 'refused before any call');
});

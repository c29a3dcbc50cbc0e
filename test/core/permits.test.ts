/** The tag-permit manager's pure reducer (core/permits) and the tags a step asks for (§7). */
import test from 'ava';
import {
  permitReducer,
  emptyPermitState,
  listTags,
  stepPermitTags,
  type PermitEffect,
  type PermitEvent,
  type PermitRequest,
  type PermitState,
  type PermitTag,
} from '../../src/core/permits/index.js';
import type { Step, WorkflowCreateRequest } from '../../src/core/definition/model.js';

const req = (holder: string, ...tags: PermitTag[]): PermitRequest => ({ holder, instanceKey: `wf/${holder}`, stepId: 's', attempt: 1, tags });
const tag = (name: string, inlineLimit?: number): PermitTag => (inlineLimit === undefined ? { name } : { name, inlineLimit });

function fold(events: PermitEvent[], s: PermitState = emptyPermitState()): { s: PermitState; effects: PermitEffect[] } {
  const effects: PermitEffect[] = [];
  for (const e of events) {
    const r = permitReducer.apply(s, e);
    s = r.state;
    effects.push(...r.effects);
  }
  return { s, effects };
}
const acquire = (...reqs: PermitRequest[]): PermitEvent => ({ t: 'acquire', atMs: 0, reqs });
const release = (...holders: string[]): PermitEvent => ({ t: 'release', atMs: 0, holders });
const granted = (fx: PermitEffect[]) => fx.flatMap((f) => (f.f === 'grant' ? [f.holder] : []));

test('acquisition is all-or-nothing over a request\'s tags', (t) => {
  const { s } = fold([acquire(req('a', tag('x', 1))), acquire(req('b', tag('x', 1), tag('y', 5)))]);
  t.deepEqual(Object.keys(s.holders), ['a']);
  t.deepEqual(s.waiting.map((w) => w.holder), ['b']);
  t.is(s.counts['y'], undefined, 'b takes nothing of y while x is full');
});

test('no head-of-line blocking: a later request that fits is granted past a blocked earlier one', (t) => {
  const { s: s1 } = fold([acquire(req('a', tag('x', 1))), acquire(req('b', tag('x', 1), tag('y', 1))), acquire(req('c', tag('y', 1)))]);
  t.deepEqual(Object.keys(s1.holders).sort(), ['a', 'c']);
  t.deepEqual(s1.waiting.map((w) => w.holder), ['b']);
  // x frees but y is still held by c: b still waits; once c goes too, b is granted
  const r1 = fold([release('a')], s1);
  t.deepEqual(granted(r1.effects), []);
  const r2 = fold([release('c')], r1.s);
  t.deepEqual(granted(r2.effects), ['b']);
  t.deepEqual(r2.s.waiting, []);
});

test('released permits go to waiters in arrival order, as many as fit', (t) => {
  const reqs = ['a', 'b', 'c', 'd', 'e'].map((h) => req(h, tag('x', 2)));
  const { s } = fold([acquire(...reqs)]);
  t.deepEqual(Object.keys(s.holders), ['a', 'b']);
  const r = fold([release('a', 'b')], s);
  t.deepEqual(granted(r.effects), ['c', 'd']);
  t.deepEqual(r.s.waiting.map((w) => w.holder), ['e']);
  t.is(r.s.counts['x'], 2);
});

test('an API limit overrides the inline one, either way; deleting it restores the inline limit', (t) => {
  const { s } = fold([{ t: 'limit', atMs: 0, tag: 'x', max: 1 }, acquire(req('a', tag('x', 5)), req('b', tag('x', 5)))]);
  t.deepEqual(Object.keys(s.holders), ['a']);
  const raised = fold([{ t: 'limit', atMs: 0, tag: 'x', max: 3 }], s);
  t.deepEqual(granted(raised.effects), ['b']);
  const r = fold([{ t: 'limit', atMs: 0, tag: 'x', max: null }, acquire(req('c', tag('x', 2)))], raised.s);
  t.deepEqual(r.s.waiting.map((w) => w.holder), ['c'], 'inline 2 with 2 holders: c waits');
});

test('a tag limited nowhere is unlimited; a limit of 0 blocks and is hot', (t) => {
  const many = Array.from({ length: 50 }, (_, i) => req(`h${i}`, tag('free')));
  const { s } = fold([acquire(...many)]);
  t.is(s.counts['free'], 50);
  const r = fold([{ t: 'limit', atMs: 0, tag: 'shut', max: 0 }, acquire(req('z', tag('shut')), req('y', tag('shut', 10)))], s);
  t.deepEqual(r.s.waiting.map((w) => w.holder), ['z', 'y']);
  t.true(r.s.hot['shut']);
  t.true(r.effects.some((f) => f.f === 'hot' && f.tags.includes('shut')));
  const open = fold([{ t: 'limit', atMs: 0, tag: 'shut', max: 1 }], r.s);
  t.deepEqual(granted(open.effects), ['z']);
});

test('release frees held and waiting holders alike; unknown and repeated releases do nothing', (t) => {
  const { s } = fold([acquire(req('a', tag('x', 1)), req('b', tag('x', 1)))]);
  const r = fold([release('b'), release('zzz'), release('b')], s);
  t.deepEqual(r.s.waiting, []);
  t.is(r.s.counts['x'], 1);
  const r2 = fold([release('a'), release('a')], r.s);
  t.deepEqual(r2.s.counts, {});
  t.deepEqual(r2.s.holders, {});
  t.deepEqual(r2.s.inline, {});
  t.deepEqual(r2.effects.filter((f) => f.f === 'grant'), []);
});

test('an acquire of a holder already known is a no-op', (t) => {
  const { s } = fold([acquire(req('a', tag('x', 1))), acquire(req('a', tag('x', 1))), acquire(req('b', tag('x', 1))), acquire(req('b', tag('x', 1)))]);
  t.is(s.counts['x'], 1);
  t.is(s.waiting.length, 1);
});

test('the saturated set follows holders reaching and leaving their limit', (t) => {
  const r1 = fold([acquire(req('a', tag('x', 2)))]);
  t.deepEqual(r1.s.hot, {});
  const r2 = fold([acquire(req('b', tag('x', 2)))], r1.s);
  t.deepEqual(r2.effects, [{ f: 'hot', tags: ['x'] }]);
  const r3 = fold([release('a')], r2.s);
  t.deepEqual(r3.effects, [{ f: 'hot', tags: [] }]);
});

test('resume tells every holder again (a lost grant or release heals)', (t) => {
  const { s } = fold([acquire(req('a', tag('x', 1)), req('b', tag('x', 1)), req('c', tag('y')))]);
  const fx = permitReducer.resume(s);
  t.deepEqual(granted(fx).sort(), ['a', 'c']);
});

test('listTags shows limits, holders and waiters per tag', (t) => {
  const { s } = fold([{ t: 'limit', atMs: 0, tag: 'lim', max: 4 }, acquire(req('a', tag('x', 1)), req('b', tag('x', 1), tag('y')))]);
  t.deepEqual(listTags(s), [
    { tag: 'lim', maxAllowed: 4, holders: 0, waiting: 0 },
    { tag: 'x', holders: 1, waiting: 1 },
    { tag: 'y', holders: 0, waiting: 1 },
  ]);
});

const wf = (props: { sc?: number; isc?: number }): WorkflowCreateRequest =>
  ({
    properties: { owner: 'o', runStrategy: { rule: 'SEQUENTIAL', workflowConcurrency: 1 }, ...(props.sc === undefined ? {} : { stepConcurrency: props.sc }) },
    workflow: { id: 'wf', tags: [], params: {}, steps: [], timeTriggers: [], signalTriggers: [], ...(props.isc === undefined ? {} : { instanceStepConcurrency: props.isc }) },
  }) as unknown as WorkflowCreateRequest;
const leaf = { id: 'j1', kind: 'step', type: 'NoOp', tags: [{ name: 'team' }, { name: 'maestro_wf' }] } as unknown as Step;
const loop = { id: 'fe', kind: 'foreach', tags: [] } as unknown as Step;

test('runtime tags as Maestro derives them (§7)', (t) => {
  t.deepEqual(stepPermitTags(wf({}), 'wf', 'wf:1:1', leaf), [tag('maestro_wf', 20), tag('maestro_wf:j1', 20), tag('team')]);
  t.deepEqual(stepPermitTags(wf({ sc: 3 }), 'wf', 'wf:1:1', loop), [tag('maestro_wf', 3), tag('maestro_wf:fe', 20)]);
  t.deepEqual(stepPermitTags(wf({ isc: 4 }), 'wf', 'wf:1:1', leaf), [tag('maestro_wf:1:1', 4), tag('team'), tag('maestro_wf')]);
  t.deepEqual(stepPermitTags(wf({ isc: 4 }), 'wf', 'wf:1:1', loop), [], 'non-leaf steps take no correlation tag');
  t.deepEqual(stepPermitTags(wf({ isc: 4, sc: 2 }), 'wf', 'root:7:1', loop), [tag('maestro_wf', 2)]);
});

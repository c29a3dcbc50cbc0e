import test from 'ava';
import { scope, engine, run, throwsSel, typed } from './helpers.js';

test('bare names resolve through scope.lookup with their declared types', (t) => {
  t.is(run('x + 1;', { x: 41 }), 42);
  t.is(run('d / 2;', { d: typed('DOUBLE', 3) }), 1.5);
  t.is(run('n / 2;', { n: typed('LONG', 3) }), 1);
  t.is(run("s + '!';", { s: 'hi' }), 'hi!');
  t.deepEqual(run('a[1] + a.length;', { a: [10, 20] }), 22);
  t.is(run("m.get('k') + m.size();", { m: typed('STRING_MAP', { k: 'v' }) }), 'v1');
});

test('an unknown name is an error naming it', (t) => {
  const err = throwsSel(t, () => run('zzzzz + 1;'), 'unknown variable zzzzz');
  t.is(err.column, 1);
});

test('a local variable shadows a param, and writes never reach the caller', (t) => {
  const arr = [1, 2, 3];
  const map = { k: 'original' };
  const s = scope({ x: 5, xs: arr, cfg: typed('MAP', map) });
  t.is(engine.evaluate('x = 7; x;', s), 7);
  t.is(engine.evaluate('x;', s), 5);
  t.is(engine.evaluate('xs[0] = 99; xs[0];', s), 99);
  t.is(engine.evaluate("cfg.put('k', 'tampered'); params.get('cfg').put('k', 'again'); cfg.get('k');", s), 'tampered');
  t.deepEqual(arr, [1, 2, 3]);
  t.deepEqual(map, { k: 'original' });
});

test('an assignment to a param name keeps the param type', (t) => {
  throwsSel(t, () => run("x = 'a';", { x: 1 }), 'cannot assign String to long x');
});

test('params.get, params[name], params.name and params.containsKey', (t) => {
  const values = { foo: 'bar', n: 3 };
  t.is(run("params.get('foo');", values), 'bar');
  t.is(run("params['foo'];", values), 'bar');
  t.is(run('params.foo;', values), 'bar');
  t.is(run("params.get('n') * 2;", values), 6);
  t.deepEqual(run("new boolean[]{params.containsKey('foo'), params.containsKey('nope')};", values), [true, false]);
  const err = throwsSel(t, () => run("params.get('nope');", values), "params.get('nope') failed: param [nope] is not found");
  t.true(err.cause instanceof Error);
});

test('params is read-only', (t) => {
  throwsSel(t, () => run("params['a'] = 'z';", { a: 'x' }), 'params is read-only');
  throwsSel(t, () => run("params.put('a', 'z');", { a: 'x' }), 'params has no method put()');
  throwsSel(t, () => run('params = 1;'), 'params is a built-in and cannot be assigned');
});

test('params.* functions call the scope with the given arguments', (t) => {
  const calls: unknown[][] = [];
  const record = <R>(name: string, result: R) => (...args: unknown[]): R => {
    calls.push([name, ...args]);
    return result;
  };
  const s = scope({}, {
    getFromStep: record('getFromStep', 7),
    getFromInstance: record('getFromInstance', 'START_FRESH_NEW_RUN'),
    getFromSignal: record('getFromSignal', 'w'),
    getFromSignalOrDefault: record('getFromSignalOrDefault', 'dflt'),
    getFromSignalDependency: record('getFromSignalDependency', '20200101'),
    getFromForeach: record('getFromForeach', [1, 2]),
    getFromSubworkflow: record('getFromSubworkflow', true),
    nextUniqueId: record('nextUniqueId', 12345),
  });
  t.is(engine.evaluate("params.getFromStep('job.3', 'param2') > 0;", s), true);
  t.is(engine.evaluate("params.getFromInstance('RUN_POLICY');", s), 'START_FRESH_NEW_RUN');
  t.is(engine.evaluate("params.getFromSignal('foo');", s), 'w');
  t.is(engine.evaluate("params.getFromSignal('signal_a', 'watermark');", s), 'w');
  t.is(engine.evaluate("params.getFromSignalOrDefault('s', 'p', 'd');", s), 'dflt');
  t.is(engine.evaluate("params.getFromSignalDependency('0', 'vtts_utc_dateint');", s), '20200101');
  t.deepEqual(engine.evaluate("params.getFromForeach('fe', 'job', 'p');", s), [1, 2]);
  t.is(engine.evaluate("params.getFromSubworkflow('sub', 'job', 'p');", s), true);
  t.is(engine.evaluate('params.nextUniqueId() + 1;', s), 12346);
  t.deepEqual(calls, [
    ['getFromStep', 'job.3', 'param2'],
    ['getFromInstance', 'RUN_POLICY'],
    ['getFromSignal', 'foo'],
    ['getFromSignal', 'signal_a', 'watermark'],
    ['getFromSignalOrDefault', 's', 'p', 'd'],
    ['getFromSignalDependency', '0', 'vtts_utc_dateint'],
    ['getFromForeach', 'fe', 'job', 'p'],
    ['getFromSubworkflow', 'sub', 'job', 'p'],
    ['nextUniqueId'],
  ]);
});

test('a failing params function becomes an ExpressionError naming the call', (t) => {
  const s = scope({}, { getFromStep: () => { throw new Error('cannot find the referenced step id [x]'); } });
  const err = throwsSel(t, () => engine.evaluate("params.getFromStep('x', 'p');", s), "params.getFromStep('x', 'p') failed: cannot find the referenced step id [x]");
  t.is(err.column, 8);
  throwsSel(t, () => engine.evaluate('params.getFromStep(1, 2);', s), 'argument 1 must be a String, got long');
});

test('a throwing scope.lookup becomes an ExpressionError with the cause', (t) => {
  const boom = new Error('cycle detected');
  const s = { ...scope(), lookup: () => { throw boom; } };
  const err = throwsSel(t, () => engine.evaluate('a + 1;', s), 'param a could not be resolved: cycle detected');
  t.is(err.cause, boom);
});

test('results are plain JS: longs as numbers, arrays, maps as plain objects', (t) => {
  t.is(typeof run('1;'), 'number');
  t.deepEqual(run("m = new HashMap(); m.put('a', 1); m.put('b', new String[]{'x'}); m.put('c', new Map()); m;"), { a: 1, b: ['x'], c: {} });
  t.deepEqual(run("m = new Map(); m.put('__proto__', 1); m;"), JSON.parse('{"__proto__": 1}'));
  t.is(Object.getPrototypeOf(run("m = new Map(); m.put('__proto__', 1); m;")), Object.prototype);
});

test('a non-data result (DateTime, class, params) is an error', (t) => {
  throwsSel(t, () => run('new DateTime(0);'), 'cannot produce a DateTime value');
  throwsSel(t, () => run('Math;'), 'cannot produce a class value');
  throwsSel(t, () => run('params;'), 'cannot produce a params value');
});

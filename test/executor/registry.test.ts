import test from 'ava';
import { ExecutorConfigError, UnknownStepTypeError } from '../../src/executor/errors.js';
import { defaultExecutorOptions, resolveExecutorOptions } from '../../src/executor/options.js';
import { createRuntimeRegistry, resolveRuntime } from '../../src/executor/runtimes/registry.js';
import { startExecutor } from '../../src/executor/executor.js';
import { NoExecutorError } from '../../src/transport/errors.js';
import { MemoryTransport } from '../../src/transport/memory/memory-transport.js';
import { makeTask } from './task-fixture.js';
import { WIRE_SCHEMAS } from '../../src/workflow/message-schemas.js';

test('defaults: shell off, http blocked, 1 MB response cap, 64 KiB logs', (t) => {
  const d = defaultExecutorOptions();
  t.false(d.shellEnabled);
  t.deepEqual(d.httpAllowList, []);
  t.is(d.httpMaxResponseBytes, 1024 * 1024);
  t.is(d.maxOutputBytes, 64 * 1024);
  t.is(d.resultDeliveryTimeoutMs, 5 * 60_000);
  t.not(defaultExecutorOptions().httpAllowList, d.httpAllowList, 'each call returns fresh objects');
});

test('the registry is keyed by lower-case type and has Shell only when enabled', (t) => {
  const off = createRuntimeRegistry(defaultExecutorOptions());
  t.deepEqual([...off.keys()].sort(), ['http', 'noop', 'sleep']);
  const on = createRuntimeRegistry({ ...defaultExecutorOptions(), shellEnabled: true });
  t.deepEqual([...on.keys()].sort(), ['http', 'noop', 'shell', 'sleep']);
  t.is(resolveRuntime(on, 'SHELL').type, 'Shell');
});

test('a disabled Shell runtime is reported clearly', async (t) => {
  const registry = createRuntimeRegistry(defaultExecutorOptions());
  const err = t.throws(() => resolveRuntime(registry, 'Shell'), { instanceOf: UnknownStepTypeError });
  t.regex(err.message, /no runtime for step type Shell.*registered: NoOp, Sleep, Http.*shellEnabled: true/);

  const transport = new MemoryTransport({ schemas: WIRE_SCHEMAS, partitions: 1 });
  const executor = await startExecutor(transport, registry);
  await t.throwsAsync(transport.dispatch(makeTask({ stepType: 'Shell' })), { instanceOf: NoExecutorError });
  await t.notThrowsAsync(transport.dispatch(makeTask({ stepType: 'noop' })));
  await executor.close();
  await transport.close();
});

test('bad options are refused, naming the option', (t) => {
  t.throws(() => resolveExecutorOptions({ maxConcurrentRuns: 0 }), { instanceOf: ExecutorConfigError, message: /maxConcurrentRuns/ });
  t.throws(() => resolveExecutorOptions({ httpAllowList: [''] }), { message: /httpAllowList/ });
  t.throws(() => resolveExecutorOptions({ httpMaxRedirects: -1 }), { message: /httpMaxRedirects/ });
  t.is(resolveExecutorOptions({ maxConcurrentRuns: undefined }).maxConcurrentRuns, 1_000);
});

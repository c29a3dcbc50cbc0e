import test from 'ava';
import { ValidationError } from '../../src/core/errors.js';
import { defaultClusterConfig, defaultNodeConfig } from '../../src/node/config.js';
import { envNameOf, parseSetArgument, settingsFromEnv, settingsTable, settingsToOverrides } from '../../src/node/settings.js';

test('every default of the config is a setting with an environment variable', (t) => {
  const keys = new Set(settingsTable().map((s) => s.key));
  const config = defaultClusterConfig({ nats: [], etcd: [] }) as unknown as Record<string, unknown>;
  for (const [k, v] of Object.entries(config)) {
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) for (const g of Object.keys(v)) t.true(keys.has(`${k}.${g}`), `${k}.${g}`);
    else t.true(keys.has(k), k);
  }
  t.is(envNameOf('executor.httpTimeoutMs'), 'MAESTRO_EXECUTOR_HTTP_TIMEOUT_MS');
  t.is(envNameOf('logLevel'), 'MAESTRO_LOG_LEVEL');
  t.is(envNameOf('shutdownTimeoutMs'), 'MAESTRO_SHUTDOWN_TIMEOUT_MS');
});

test('values are parsed as their default\'s type and reach the config', (t) => {
  const overrides = settingsToOverrides([
    parseSetArgument('executor.httpTimeoutMs=5_000'),
    parseSetArgument('shellEnabled=true'),
    parseSetArgument('httpAllowList=https://a.example/, b.example'),
    parseSetArgument('logLevel=debug'),
    parseSetArgument('transport.retryMaxMs=100'),
    parseSetArgument('transport.retryMaxMs=120'),
  ]);
  const config = defaultNodeConfig(overrides);
  t.is(config.executor.httpTimeoutMs, 5_000);
  t.is(config.executor.maxConcurrentRuns, defaultNodeConfig().executor.maxConcurrentRuns, 'the rest of the group keeps its defaults');
  t.true(config.shellEnabled);
  t.deepEqual(config.httpAllowList, ['https://a.example/', 'b.example']);
  t.is(config.logLevel, 'debug');
  t.is(config.transport.retryMaxMs, 120, 'the later entry wins');
  t.is(config.transport.retryBaseMs, defaultNodeConfig().transport.retryBaseMs);
});

test('the environment maps MAESTRO_<KEY>; empty variables are ignored', (t) => {
  const entries = settingsFromEnv({ MAESTRO_EXECUTOR_HTTP_TIMEOUT_MS: '7000', MAESTRO_SHUTDOWN_TIMEOUT_MS: '', MAESTRO_SERVER: 'x:1', MAESTRO_NATS: 'nats://a:1,nats://b:2' });
  t.deepEqual(entries.map((e) => [e.key, e.value, e.source]), [
    ['executor.httpTimeoutMs', '7000', 'MAESTRO_EXECUTOR_HTTP_TIMEOUT_MS'],
    ['nats', 'nats://a:1,nats://b:2', 'MAESTRO_NATS'],
  ]);
  t.deepEqual(settingsToOverrides(entries).nats, ['nats://a:1', 'nats://b:2']);
});

test('unknown keys and bad values name the key and where they came from', (t) => {
  const unknown = t.throws(() => settingsToOverrides([parseSetArgument('executor.httpTimeout=1')]), { instanceOf: ValidationError });
  t.regex(unknown!.message, /^--set: unknown setting "executor.httpTimeout" \(did you mean executor.httpTimeoutMs/);
  const bad = t.throws(() => settingsToOverrides([{ key: 'shutdownTimeoutMs', value: 'soon', source: 'MAESTRO_SHUTDOWN_TIMEOUT_MS' }]), { instanceOf: ValidationError });
  t.is(bad!.message, 'MAESTRO_SHUTDOWN_TIMEOUT_MS: shutdownTimeoutMs must be a non-negative number, got "soon"');
  t.throws(() => settingsToOverrides([parseSetArgument('shellEnabled=maybe')]), { message: /shellEnabled must be true or false/ });
  t.throws(() => parseSetArgument('novalue'), { message: /expected KEY=VALUE/ });
});

import test from 'ava';
import { extractGlobals, nodeOverrides } from '../../src/cli/globals.js';
import { UsageError } from '../../src/cli/errors.js';
import { main } from '../../src/cli/main.js';
import { captureIo } from './helpers.js';

test('--log-level and --set are taken from anywhere on the line, before or after the command', (t) => {
  const { globals, rest } = extractGlobals(['--log-level', 'debug', 'dev', '--port', '0', '--set=executor.httpTimeoutMs=5', '--set', 'shellEnabled=true', '--', '--set']);
  t.is(globals.logLevel, 'debug');
  t.deepEqual(globals.settings.map((s) => `${s.key}=${s.value}`), ['executor.httpTimeoutMs=5', 'shellEnabled=true']);
  t.deepEqual(rest, ['dev', '--port', '0', '--', '--set']);
  t.throws(() => extractGlobals(['run', '--log-level', 'loud']), { instanceOf: UsageError, message: /--log-level: unknown log level "loud"/ });
  t.throws(() => extractGlobals(['run', '--set']), { instanceOf: UsageError, message: /--set needs a value/ });
});

test('precedence: command default < environment < --log-level < --set < the command\'s flags', (t) => {
  const env = { MAESTRO_LOG_LEVEL: 'error', MAESTRO_SHUTDOWN_TIMEOUT_MS: '1000', MAESTRO_EXECUTOR_HTTP_TIMEOUT_MS: '1' };
  const none = extractGlobals([]).globals;
  t.is(nodeOverrides(none, {}, { logLevel: 'warn' }, {}).logLevel, 'warn');
  t.is(nodeOverrides(none, env, { logLevel: 'warn' }, {}).logLevel, 'error');
  const { globals } = extractGlobals(['--log-level', 'debug', '--set', 'shutdownTimeoutMs=2000', '--set', 'logLevel=trace']);
  const o = nodeOverrides(globals, env, { logLevel: 'warn' }, { shutdownTimeoutMs: 3000, dataDir: undefined });
  t.is(o.logLevel, 'trace');
  t.is(o.shutdownTimeoutMs, 3000);
  t.is(o.executor?.httpTimeoutMs, 1);
  t.is(nodeOverrides(globals, env, {}, { shutdownTimeoutMs: undefined as number | undefined }).shutdownTimeoutMs, 2000, 'an absent flag does not hide --set');
  t.throws(() => nodeOverrides(none, { MAESTRO_LOG_LEVEL: 'loud' }, {}, {}), { instanceOf: UsageError, message: /unknown log level "loud"/ });
});

test('main turns a bad global option into exit 2 with the message', async (t) => {
  const io = captureIo();
  t.is(await main(['dev', '--set', 'nope=1'], io), 2);
  t.regex(io.stderr.join('\n'), /unknown setting "nope"/);
  const help = captureIo();
  t.is(await main(['node', '--help'], help), 0);
  t.true(help.stdout.some((l) => l.includes('--log-level LEVEL')), 'every command\'s help lists the global options');
});

/**
 * Options every command accepts, anywhere on the line (`maestro --log-level debug dev` or
 * `maestro dev --log-level=debug`): `--log-level LEVEL` and `--set KEY=VALUE` (repeatable).
 * main.ts takes them out before the command parses the rest, and builds the config layers the
 * node commands use. Precedence, highest first: a command's own flags, `--set`, `--log-level`,
 * MAESTRO_<KEY> environment variables (MAESTRO_LOG_LEVEL included), the command's defaults
 * (`run` logs at warn so its output stays clean; dev, node and worker at info), config.ts.
 */
import { parseLogLevel, type LogLevel } from '../log/logger.js';
import { overlay, type ClusterConfig, type ConfigOverrides } from '../node/config.js';
import { parseSetArgument, settingsFromEnv, settingsToOverrides, type SettingEntry } from '../node/settings.js';
import { UsageError } from './errors.js';

export interface GlobalOptions {
  logLevel?: LogLevel;
  settings: SettingEntry[];
}

export const GLOBAL_USAGE = [
  'Options of every command:',
  '  --log-level LEVEL    fatal, error, warn, info, debug, trace or silent (default: warn for run, info',
  '                       for dev/node/worker; env MAESTRO_LOG_LEVEL). Logs are JSON lines on stderr.',
  '  --set KEY=VALUE      any config setting (repeatable; `maestro config` lists them, each also',
  '                       settable as MAESTRO_<KEY>, e.g. MAESTRO_EXECUTOR_HTTP_TIMEOUT_MS=5000)',
];

/** Splits the global options off `argv`; everything after `--` is left alone. */
export function extractGlobals(argv: readonly string[]): { globals: GlobalOptions; rest: string[] } {
  const globals: GlobalOptions = { settings: [] };
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    if (flag !== '--log-level' && flag !== '--set') {
      rest.push(arg);
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined) throw new UsageError(`${flag} needs a value`);
    try {
      if (flag === '--log-level') globals.logLevel = parseLogLevel(value, '--log-level');
      else globals.settings.push(parseSetArgument(value));
    } catch (err) {
      throw new UsageError((err as Error).message, { cause: err });
    }
  }
  return { globals, rest };
}

/**
 * The config overrides of a node command: `commandDefaults` < environment < `--log-level` <
 * `--set` < `flags` (a command's own options; undefined ones are left out).
 */
export function nodeOverrides<F extends object>(
  globals: GlobalOptions,
  env: Record<string, string | undefined>,
  commandDefaults: ConfigOverrides<ClusterConfig>,
  flags: F,
): ConfigOverrides<ClusterConfig> & F {
  try {
    let out = overlay<ConfigOverrides<ClusterConfig>>(commandDefaults, settingsToOverrides(settingsFromEnv(env)));
    if (globals.logLevel !== undefined) out = overlay(out, { logLevel: globals.logLevel });
    out = overlay(out, settingsToOverrides(globals.settings));
    out = overlay(out, flags as ConfigOverrides<ClusterConfig>);
    parseLogLevel(out.logLevel ?? 'info', 'log level');
    return out as ConfigOverrides<ClusterConfig> & F;
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError((err as Error).message, { cause: err });
  }
}

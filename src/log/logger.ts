/**
 * The logger every module reports through: a small port (`Logger`) and its one implementation,
 * pino writing JSON lines to stderr. Composition roots (src/node) create one per process with
 * `createLogger` and pass children down (`log.child({ module: 'transport' })`); components that
 * are built without one (tests, library use) fall back to `fallbackLogger()`, a process-wide
 * pino logger at level `warn` (or MAESTRO_LOG_LEVEL), so nothing they report is lost.
 */
import { pino } from 'pino';
import { PinoPretty } from 'pino-pretty';
import { LogLevelError } from './errors.js';
import { ValidationError } from '../core/errors.js';

/** What a component needs: leveled structured records and children with bound fields. */
export interface Logger {
  error(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  info(fields: object, message: string): void;
  debug(fields: object, message: string): void;
  child(bindings: Record<string, unknown>): Logger;
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** `value` as a level; LogLevelError naming `source` (a flag or env var) otherwise. */
export function parseLogLevel(value: string, source = 'log level'): LogLevel {
  const level = value.trim().toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(level)) throw new LogLevelError(source, value);
  return level as LogLevel;
}

export type LogFormat = 'json' | 'pretty';

/**
 * How records are written: MAESTRO_LOG_FORMAT (json or pretty) when set, else pretty when stderr
 * is a terminal (a person reads it) and JSON lines otherwise (a collector reads it).
 */
export function logFormat(env: Record<string, string | undefined> = process.env, tty = process.stderr.isTTY === true): LogFormat {
  const v = env['MAESTRO_LOG_FORMAT']?.trim().toLowerCase();
  if (v === 'json' || v === 'pretty') return v;
  if (v) throw new ValidationError('MAESTRO_LOG_FORMAT', `unknown log format ${JSON.stringify(v)} (json or pretty)`);
  return tty ? 'pretty' : 'json';
}

/**
 * A pino logger on stderr (fd 2, written synchronously, so a record logged just before
 * `process.exit` is not lost). Errors under the `err` key are serialized with stack and cause.
 * `format` (default logFormat()): JSON lines, or pino-pretty's one coloured line per record
 * (time, level, message, then the fields), formatted in this thread.
 */
export function createLogger(level: string, bindings: Record<string, unknown> = {}, format: LogFormat = logFormat()): Logger {
  const opts = { level: parseLogLevel(level), base: { pid: process.pid, ...bindings } };
  if (format === 'json') return pino(opts, pino.destination({ fd: 2, sync: true }));
  const pretty = PinoPretty({ destination: 2, sync: true, colorize: process.stderr.isTTY === true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,module', singleLine: true, messageFormat: '{if module}{module}: {end}{msg}' });
  return pino(opts, pretty);
}

let fallback: Logger | undefined;
let fallbackLevel: string | undefined;

/** The process-wide logger for components built without one (level MAESTRO_LOG_LEVEL or warn). */
export function fallbackLogger(): Logger {
  fallback ??= createLogger(fallbackLevel ?? process.env['MAESTRO_LOG_LEVEL'] ?? 'warn');
  return fallback;
}

/** Sets the fallback logger's level (the CLI does, from `--log-level`); call before components are built. */
export function setFallbackLogLevel(level: LogLevel): void {
  fallbackLevel = level;
  fallback = undefined;
}

/** `log` with `module` bound, or the fallback's child when `log` is absent. */
export function moduleLogger(log: Logger | undefined, module: string): Logger {
  return (log ?? fallbackLogger()).child({ module });
}

/** A Logger that keeps its records in memory, for tests that assert what a component reported. */
import type { Logger } from '../../src/log/logger.js';

export interface LogRecord {
  level: 'error' | 'warn' | 'info' | 'debug';
  /** The record's fields with every bound field of its logger's parents. */
  fields: Record<string, unknown>;
  message: string;
}

export interface RecordingLogger extends Logger {
  readonly records: LogRecord[];
  /** `context: err.message` (or the message) of the records at warn or above, in order. */
  problems(): string[];
  /** The messages of every record so far (a live view: it grows as records come). */
  readonly messages: string[];
}

export function recordingLogger(records: LogRecord[] = [], bound: Record<string, unknown> = {}, messages: string[] = []): RecordingLogger {
  const at = (level: LogRecord['level']) => (fields: object, message: string) => {
    records.push({ level, fields: { ...bound, ...fields }, message });
    messages.push(message);
  };
  return {
    records,
    messages,
    error: at('error'),
    warn: at('warn'),
    info: at('info'),
    debug: at('debug'),
    child: (bindings) => recordingLogger(records, { ...bound, ...bindings }, messages),
    problems: () =>
      records
        .filter((r) => r.level === 'warn' || r.level === 'error')
        .map((r) => {
          const err = r.fields['err'];
          const what = err instanceof Error ? err.message : r.message;
          return typeof r.fields['context'] === 'string' ? `${r.fields['context']}: ${what}` : what;
        }),
  };
}

import { ValidationError } from '../core/errors.js';

/** A log level that pino does not know; names where it came from (`--log-level`, MAESTRO_LOG_LEVEL). */
export class LogLevelError extends ValidationError {
  override name = 'LogLevelError';
  constructor(source: string, value: string) {
    super(source, `unknown log level ${JSON.stringify(value)} (one of fatal, error, warn, info, debug, trace, silent)`);
  }
}

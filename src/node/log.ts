/**
 * The node's structured logger (pino, JSON lines on stderr). Levels: `logLevel` in the node
 * config, or MAESTRO_LOG_LEVEL. Modules get children with their name bound (`log.child({ module })`).
 */
import { pino, type Logger } from 'pino';

export type { Logger } from 'pino';

export function createLogger(level: string, bindings: Record<string, unknown> = {}): Logger {
  return pino({ level: process.env['MAESTRO_LOG_LEVEL'] ?? level, base: { pid: process.pid, ...bindings } }, pino.destination(2));
}

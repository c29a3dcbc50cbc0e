/**
 * WireSchemas that accept every body unchanged and every topic: for the transport contract
 * tests, which exercise delivery (routing, retries, moves) with arbitrary bodies. Everything
 * else, and every node, uses WIRE_SCHEMAS (src/workflow/message-schemas.ts).
 */
import type { DispatchedTask } from '../../src/protocol/executor.js';
import type { WireSchemas } from '../../src/transport/port.js';

export const ANY_SCHEMAS: WireSchemas = {
  actor: (_to, body) => body,
  task: (body) => body as DispatchedTask,
  topic: () => (body) => body,
};

/**
 * Instance and step-instance UUIDs: random version-4 UUIDs (122 random bits). The machine records
 * each one as a decision (core/instance/decisions.ts), so replay reads it back and never asks
 * for another; core, which uses no platform module, gets this through its context.
 */
import { randomUUID } from 'node:crypto';

export function newUuid(): string {
  return randomUUID();
}

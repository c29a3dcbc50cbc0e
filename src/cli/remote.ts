/** Shared by the client commands: the --server and security options, and a client that is always closed. */
import { createControlClient, type ControlClient, type ControlClientOptions } from '../control/client.js';
import { describeError, exitCodeOf } from './errors.js';
import { ControlError } from '../control/errors.js';
import { didYouMean } from './suggest.js';
import { fallbackLogger } from '../log/logger.js';
import type { CliIo } from './io.js';
import { CLIENT_SECURITY_OPTIONS, CLIENT_SECURITY_USAGE, clientSecurity } from './security-options.js';

export const DEFAULT_SERVER = 'localhost:50051';
export const SERVER_OPTION = { server: { type: 'string' as const }, ...CLIENT_SECURITY_OPTIONS };
export const SERVER_USAGE = [`  --server HOST:PORT   the node to talk to (default $MAESTRO_SERVER, else ${DEFAULT_SERVER})`, ...CLIENT_SECURITY_USAGE].join('\n');

/** Where a client command connects, and how (TLS, bearer token). */
export interface ServerTarget {
  address: string;
  options: ControlClientOptions;
}

export function serverTarget(values: { server?: string } & Record<string, unknown>, io: CliIo): ServerTarget {
  return { address: values.server ?? (io.env['MAESTRO_SERVER'] || DEFAULT_SERVER), options: clientSecurity(values, io.env) };
}

/**
 * For a NOT_FOUND naming a workflow that does not exist ("workflow X not found", "instance X/N
 * not found"): "; did you mean Y?" with the stored ids closest to X, else "".
 */
async function workflowSuggestion(client: ControlClient, err: unknown): Promise<string> {
  if (!(err instanceof ControlError) || err.kind !== 'not_found') return '';
  const m = /^workflow (\S+) not found$/.exec(err.message) ?? /^instance (\S+)\/\d+ not found$/.exec(err.message);
  if (!m) return '';
  const id = m[1]!;
  try {
    const ids = (await client.listWorkflows()).map((w) => w.workflowId);
    return ids.includes(id) ? '' : didYouMean(id, ids);
  } catch (listErr) {
    // Only a suggestion: the error itself is printed either way.
    fallbackLogger().debug({ err: listErr }, 'could not list workflows for a "did you mean"');
    return '';
  }
}

/** Runs `fn` with a client; server errors are printed (naming the server when unreachable). */
export async function withClient(target: ServerTarget, io: CliIo, fn: (client: ControlClient) => Promise<number>): Promise<number> {
  const client = createControlClient(target.address, target.options);
  try {
    return await fn(client);
  } catch (err) {
    io.err(describeError(err, target.address) + (await workflowSuggestion(client, err)));
    return exitCodeOf(err);
  } finally {
    client.close();
  }
}

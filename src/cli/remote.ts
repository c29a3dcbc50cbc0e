/** Shared by the client commands: the --server option and a client that is always closed. */
import { createControlClient, type ControlClient } from '../control/client.js';
import { describeError, exitCodeOf } from './errors.js';
import type { CliIo } from './io.js';

export const DEFAULT_SERVER = 'localhost:50051';
export const SERVER_OPTION = { server: { type: 'string' as const } };
export const SERVER_USAGE = `  --server HOST:PORT   the node to talk to (default $MAESTRO_SERVER, else ${DEFAULT_SERVER})`;

export function serverAddress(flag: string | undefined, io: CliIo): string {
  return flag ?? (io.env['MAESTRO_SERVER'] || DEFAULT_SERVER);
}

/** Runs `fn` with a client; server errors are printed (naming the server when unreachable). */
export async function withClient(address: string, io: CliIo, fn: (client: ControlClient) => Promise<number>): Promise<number> {
  const client = createControlClient(address);
  try {
    return await fn(client);
  } catch (err) {
    io.err(describeError(err, address));
    return exitCodeOf(err);
  } finally {
    client.close();
  }
}

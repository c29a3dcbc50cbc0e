/** `maestro dev`: an embedded node behind the gRPC API, until SIGINT/SIGTERM. */
import { startGrpcServer } from '../control/server.js';
import type { Command } from './command.js';
import { EXIT_OK } from './errors.js';
import { parseCommandLine, parsePort } from './options.js';
import { GRPC_SERVER_SECURITY_OPTIONS, GRPC_SERVER_SECURITY_USAGE, grpcServerSecurity, plaintextTokenWarning } from './security-options.js';

export const DEFAULT_PORT = 50051;

export const devCommand: Command = {
  name: 'dev',
  group: 'local',
  summary: 'serve the gRPC API from an embedded node (in memory unless --data-dir)',
  usage: [
    `maestro dev [--port N] [--host HOST] [--data-dir DIR] [--shell] [--http-allow PREFIX]...`,
    `  --port N             port to listen on (default ${DEFAULT_PORT}; 0 picks a free one)`,
    '  --host HOST          interface to listen on (default localhost)',
    '  --data-dir DIR       keep the journal and definitions in DIR (survives restarts)',
    '  --shell              enable the Shell step runtime',
    '  --http-allow PREFIX  let Http steps call URLs starting with PREFIX (repeatable)',
    ...GRPC_SERVER_SECURITY_USAGE,
    'Prints "listening on HOST:PORT" once serving; stops on Ctrl-C or SIGTERM.',
  ],
  async run(argv, io) {
    const { values } = parseCommandLine(
      'dev',
      argv,
      {
        port: { type: 'string' },
        host: { type: 'string', default: 'localhost' },
        'data-dir': { type: 'string' },
        shell: { type: 'boolean', default: false },
        'http-allow': { type: 'string', multiple: true },
        ...GRPC_SERVER_SECURITY_OPTIONS,
      },
      [],
    );
    const port = values.port === undefined ? DEFAULT_PORT : parsePort(values.port);
    const security = grpcServerSecurity(values, io.env);
    const warning = plaintextTokenWarning(values.host, security);
    if (warning) io.err(warning);
    const { createEmbeddedNode } = await import('../node/embedded.js');
    const node = await createEmbeddedNode({
      dataDir: values['data-dir'],
      shellEnabled: values.shell,
      httpAllowList: values['http-allow'] ?? [],
    });
    let server;
    try {
      server = await startGrpcServer(node.api, { host: values.host, port, tls: security.grpcTls, auth: security.grpcAuth });
    } catch (err) {
      await node.close();
      throw err;
    }
    const stopped = new Promise<string>((resolve) => {
      const off = io.onInterrupt((signal) => {
        off();
        resolve(signal);
      });
    });
    const secured = [security.grpcTls ? (security.grpcTls.clientCaFile ? 'mTLS' : 'TLS') : '', security.grpcAuth ? 'bearer tokens' : ''].filter(Boolean).join(', ');
    io.out(`maestro dev: listening on ${values.host}:${server.port} (${values['data-dir'] ? `data in ${values['data-dir']}` : 'in memory'}${secured ? `; ${secured}` : ''})`);
    io.err('press Ctrl-C to stop');
    const signal = await stopped;
    io.err(`${signal}: shutting down`);
    await server.close();
    await node.close();
    return EXIT_OK;
  },
};

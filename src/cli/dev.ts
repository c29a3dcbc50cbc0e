/** `maestro dev`: an embedded node behind the gRPC API, until SIGINT/SIGTERM (stopped within a deadline). */
import { startGrpcServer } from '../control/server.js';
import type { Command } from './command.js';
import { nodeOverrides } from './globals.js';
import { ShutdownSignals } from './lifecycle.js';
import { optionalPositiveInt, parseCommandLine, parsePort } from './options.js';
import { GRPC_SERVER_SECURITY_OPTIONS, GRPC_SERVER_SECURITY_USAGE, grpcServerSecurity, plaintextTokenWarning } from './security-options.js';

export const DEFAULT_PORT = 50051;

export const devCommand: Command = {
  name: 'dev',
  group: 'local',
  summary: 'serve the gRPC API from an embedded node (in memory unless --data-dir)',
  usage: [
    `maestro dev [--port N] [--host HOST] [--data-dir DIR] [--shell] [--http-allow PREFIX]... [--shutdown-timeout-ms N]`,
    `  --port N             port to listen on (default ${DEFAULT_PORT}; 0 picks a free one)`,
    '  --host HOST          interface to listen on (default localhost)',
    '  --data-dir DIR       keep the journal and definitions in DIR (survives restarts)',
    '  --shell              enable the Shell step runtime',
    '  --http-allow PREFIX  let Http steps call URLs starting with PREFIX (repeatable)',
    '  --shutdown-timeout-ms N  on SIGTERM/Ctrl-C, stop gracefully within N ms, then exit anyway (default 10000)',
    ...GRPC_SERVER_SECURITY_USAGE,
    'Prints "listening on HOST:PORT" once serving; stops on Ctrl-C or SIGTERM (again: at once).',
  ],
  async run(argv, io, globals) {
    const { values } = parseCommandLine(
      'dev',
      argv,
      {
        port: { type: 'string' },
        host: { type: 'string', default: 'localhost' },
        'data-dir': { type: 'string' },
        shell: { type: 'boolean' },
        'http-allow': { type: 'string', multiple: true },
        'shutdown-timeout-ms': { type: 'string' },
        ...GRPC_SERVER_SECURITY_OPTIONS,
      },
      [],
    );
    const port = values.port === undefined ? DEFAULT_PORT : parsePort(values.port);
    const security = grpcServerSecurity(values, io.env);
    const warning = plaintextTokenWarning(values.host, security);
    if (warning) io.err(warning);
    const settings = nodeOverrides(globals, io.env, { logLevel: 'info' }, {
      dataDir: values['data-dir'],
      shellEnabled: values.shell,
      httpAllowList: values['http-allow'],
      shutdownTimeoutMs: optionalPositiveInt(values['shutdown-timeout-ms'], '--shutdown-timeout-ms'),
    });
    const { defaultNodeConfig } = await import('../node/config.js');
    const config = defaultNodeConfig(settings);
    const signals = new ShutdownSignals(io, config.shutdownTimeoutMs);
    try {
      const { createEmbeddedNode } = await import('../node/embedded.js');
      const node = await createEmbeddedNode(config);
      let server;
      try {
        server = await startGrpcServer(node.api, {
          host: values.host,
          port,
          shutdownGraceMs: config.grpcShutdownGraceMs,
          log: node.log,
          tls: security.grpcTls,
          auth: security.grpcAuth,
          services: node.grpcServices,
        });
      } catch (err) {
        await node.close();
        throw err;
      }
      const secured = [security.grpcTls ? (security.grpcTls.clientCaFile ? 'mTLS' : 'TLS') : '', security.grpcAuth ? 'bearer tokens' : ''].filter(Boolean).join(', ');
      io.out(`maestro dev: listening on ${values.host}:${server.port} (${config.dataDir ? `data in ${config.dataDir}` : 'in memory'}${secured ? `; ${secured}` : ''})`);
      io.err('press Ctrl-C to stop');
      await signals.received;
      const grpc = server;
      return await signals.stop(async () => {
        await grpc.close();
        await node.close();
      });
    } finally {
      signals.dispose();
    }
  },
};

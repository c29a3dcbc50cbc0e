/** `maestro dev`: an embedded node behind the gRPC API, until SIGINT/SIGTERM (stopped within a deadline). */
import { startGrpcServer } from '../control/server.js';
import { startHttpServer } from '../control/http-server.js';
import { httpRoutes } from '../control/http-routes.js';
import type { Command } from './command.js';
import { nodeOverrides } from './globals.js';
import { ShutdownSignals } from './lifecycle.js';
import { optionalPositiveInt, parseCommandLine, parsePort } from './options.js';
import { GRPC_SERVER_SECURITY_OPTIONS, GRPC_SERVER_SECURITY_USAGE, grpcServerSecurity, plaintextTokenWarning } from './security-options.js';

export const DEFAULT_PORT = 50051;
/** The HTTP server's port (web UI, /metrics, /healthz) of `maestro dev` and `maestro node`. */
export const DEFAULT_HTTP_PORT = 8080;

export const devCommand: Command = {
  name: 'dev',
  group: 'local',
  summary: 'serve the gRPC API from an embedded node (in memory unless --data-dir)',
  usage: [
    `maestro dev [--port N] [--host HOST] [--http-port N] [--data-dir DIR] [--shell] [--http-allow PREFIX]... [--shutdown-timeout-ms N]`,
    `  --port N             port to listen on (default ${DEFAULT_PORT}; 0 picks a free one)`,
    `  --http-port N        HTTP port of the web UI, /metrics and /healthz (default ${DEFAULT_HTTP_PORT}; 0 picks a free one)`,
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
        'http-port': { type: 'string' },
        'data-dir': { type: 'string' },
        shell: { type: 'boolean' },
        'http-allow': { type: 'string', multiple: true },
        'shutdown-timeout-ms': { type: 'string' },
        ...GRPC_SERVER_SECURITY_OPTIONS,
      },
      [],
    );
    const port = values.port === undefined ? DEFAULT_PORT : parsePort(values.port);
    // --port 0 (tests, scripts) picks a free HTTP port too, so two such servers never collide
    const httpPort = values['http-port'] !== undefined ? parsePort(values['http-port'], '--http-port') : port === 0 ? 0 : DEFAULT_HTTP_PORT;
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
      const node = await createEmbeddedNode({ ...config, httpPort: undefined }); // dev serves HTTP itself (--http-port)
      let server;
      let http;
      try {
        http = await startHttpServer({ host: values.host, port: httpPort, log: node.log, routes: httpRoutes({ api: node.api, nodeId: 'embedded', log: node.log, metrics: node.metrics, live: node.liveLogs }) }).catch((err: unknown) => {
          throw new Error(`--http-port ${httpPort}: cannot listen (${(err as Error).message}); pass another port, or 0 for a free one`);
        });
        server = await startGrpcServer(node.api, {
          host: values.host,
          port,
          shutdownGraceMs: config.grpcShutdownGraceMs,
          maxMessageBytes: config.grpcMaxMessageBytes,
          log: node.log,
          tls: security.grpcTls,
          auth: security.grpcAuth,
          services: node.grpcServices,
        });
      } catch (err) {
        await http?.close();
        await node.close();
        throw err;
      }
      const secured = [security.grpcTls ? (security.grpcTls.clientCaFile ? 'mTLS' : 'TLS') : '', security.grpcAuth ? 'bearer tokens' : ''].filter(Boolean).join(', ');
      io.out(`maestro dev: listening on ${values.host}:${server.port} (${config.dataDir ? `data in ${config.dataDir}` : 'in memory'}${secured ? `; ${secured}` : ''}; web UI and /metrics on ${http.url})`);
      io.err('press Ctrl-C to stop');
      await signals.received;
      const grpc = server;
      const web = http;
      return await signals.stop(async () => {
        await web.close();
        await grpc.close();
        await node.close();
      });
    } finally {
      signals.dispose();
    }
  },
};

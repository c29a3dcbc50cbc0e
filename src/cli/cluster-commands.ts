/** `maestro node` (a cluster node) and `maestro worker` (an executor-only process). */
import type { Command } from './command.js';
import { UsageError } from './errors.js';
import {
  ETCD_SECURITY_OPTIONS,
  ETCD_SECURITY_USAGE,
  etcdSecurity,
  GRPC_SERVER_SECURITY_OPTIONS,
  GRPC_SERVER_SECURITY_USAGE,
  grpcServerSecurity,
  NATS_SECURITY_OPTIONS,
  NATS_SECURITY_USAGE,
  natsSecurity,
  plaintextTokenWarning,
} from './security-options.js';
import { nodeOverrides } from './globals.js';
import { ShutdownSignals } from './lifecycle.js';
import { optionalPositiveInt, parseCommandLine, parsePort } from './options.js';
import { DEFAULT_HTTP_PORT } from './dev.js';

const urls = (v: string | undefined): string[] | undefined => (v === undefined ? undefined : v.split(',').map((s) => s.trim()).filter(Boolean));

function required(flag: string, env: string, list: string[] | undefined): string[] {
  if (list === undefined || list.length === 0) throw new UsageError(`${flag} is required (comma-separated URLs; or set ${env})`);
  return list;
}

const SHUTDOWN_USAGE = '  --shutdown-timeout-ms N  on SIGTERM/Ctrl-C, stop gracefully within N ms, then exit anyway (default 10000)';

export const nodeCommand: Command = {
  name: 'node',
  group: 'cluster',
  summary: 'run a cluster node (NATS + etcd): owns a share of the partitions, serves gRPC, runs steps',
  usage: [
    'maestro node --nats URL[,URL...] --etcd URL[,URL...] [--grpc-port N] [--grpc-host HOST] [--advertise HOST] [--http-port N]',
    '             [--node-id ID] [--partitions N] [--replicas N] [--lease-ttl-ms N] [--no-executor] [--shell] [--http-allow PREFIX]...',
    '             [--shutdown-timeout-ms N]',
    '  --nats URLS          NATS servers with JetStream (nats://host:4222,...; env MAESTRO_NATS)',
    '  --etcd URLS          etcd endpoints (http://host:2379,...; env MAESTRO_ETCD)',
    '  --grpc-port N        gRPC port (default 50051; 0 picks a free one)',
    '  --grpc-host HOST     interface to listen on (default 127.0.0.1)',
    '  --advertise HOST     host other nodes and clients use to reach this one (default --grpc-host)',
    '  --http-port N        HTTP port of the web UI, /metrics and /healthz (default 8080; 0 picks a free one, as does --grpc-port 0)',
    '  --partitions N       partition count; the same on every node (default 256)',
    '  --replicas N         JetStream replicas of the journal and KV (1 on one server, 3 on a 3-server cluster)',
    '  --lease-ttl-ms N     etcd lease TTL: a crashed node\'s partitions move after about this long (default 2000)',
    '  --no-executor        do not run steps here (leave them to `maestro worker` processes)',
    '  --shell / --http-allow PREFIX   enable the Shell runtime / allow Http steps to call PREFIX',
    SHUTDOWN_USAGE,
    'Security (all off by default; see the README\'s Security section):',
    ...GRPC_SERVER_SECURITY_USAGE,
    ...NATS_SECURITY_USAGE,
    ...ETCD_SECURITY_USAGE,
    'Prints "node ID serving on HOST:PORT" once it has joined; on Ctrl-C or SIGTERM hands its partitions',
    'over and leaves within the shutdown deadline (a second signal exits at once).',
  ],
  async run(argv, io, globals) {
    const { values } = parseCommandLine(
      'node',
      argv,
      {
        nats: { type: 'string' },
        etcd: { type: 'string' },
        'grpc-port': { type: 'string' },
        'http-port': { type: 'string' },
        'grpc-host': { type: 'string' },
        advertise: { type: 'string' },
        'node-id': { type: 'string' },
        partitions: { type: 'string' },
        replicas: { type: 'string' },
        'lease-ttl-ms': { type: 'string' },
        'no-executor': { type: 'boolean' },
        shell: { type: 'boolean' },
        'http-allow': { type: 'string', multiple: true },
        'shutdown-timeout-ms': { type: 'string' },
        ...GRPC_SERVER_SECURITY_OPTIONS,
        ...NATS_SECURITY_OPTIONS,
        ...ETCD_SECURITY_OPTIONS,
      },
      [],
    );
    const replicas = optionalPositiveInt(values.replicas, '--replicas');
    const grpcSecurity = grpcServerSecurity(values, io.env);
    const warning = plaintextTokenWarning(values['grpc-host'], grpcSecurity);
    if (warning) io.err(warning);
    const settings = nodeOverrides(globals, io.env, { logLevel: 'info' }, {
      nats: urls(values.nats),
      etcd: urls(values.etcd),
      grpcPort: values['grpc-port'] === undefined ? undefined : parsePort(values['grpc-port'], '--grpc-port'),
      grpcHost: values['grpc-host'],
      httpPort: values['http-port'] !== undefined ? parsePort(values['http-port'], '--http-port') : values['grpc-port'] === '0' ? 0 : DEFAULT_HTTP_PORT,
      advertiseHost: values.advertise,
      nodeId: values['node-id'],
      partitions: optionalPositiveInt(values.partitions, '--partitions'),
      journalReplicas: replicas,
      kvReplicas: replicas,
      leaseTtlMs: optionalPositiveInt(values['lease-ttl-ms'], '--lease-ttl-ms'),
      runExecutor: values['no-executor'] === undefined ? undefined : !values['no-executor'],
      shellEnabled: values.shell,
      httpAllowList: values['http-allow'],
      shutdownTimeoutMs: optionalPositiveInt(values['shutdown-timeout-ms'], '--shutdown-timeout-ms'),
      ...grpcSecurity,
      ...natsSecurity(values, io.env),
      ...etcdSecurity(values, io.env),
    });
    const nats = required('--nats', 'MAESTRO_NATS', settings.nats);
    const etcd = required('--etcd', 'MAESTRO_ETCD', settings.etcd);
    const { defaultClusterConfig } = await import('../node/config.js');
    const config = defaultClusterConfig({ ...settings, nats, etcd });
    const signals = new ShutdownSignals(io, config.shutdownTimeoutMs);
    try {
      const { startClusterNode } = await import('../node/cluster-node.js');
      const node = await startClusterNode(config);
      io.out(`node ${node.nodeId} serving on ${node.grpcAddress}${node.httpUrl ? ` (web UI and /metrics on ${node.httpUrl})` : ''}`);
      await signals.received;
      return await signals.stop(() => node.close(config.shutdownTimeoutMs));
    } finally {
      signals.dispose();
    }
  },
};

export const workerCommand: Command = {
  name: 'worker',
  group: 'cluster',
  summary: 'run step runtimes for a cluster (owns no instances)',
  usage: [
    'maestro worker --nats URL[,URL...] [--partitions N] [--shell] [--http-allow PREFIX]... [--shutdown-timeout-ms N] [NATS security options]',
    '  --nats URLS          NATS servers of the cluster (env MAESTRO_NATS)',
    '  --partitions N       the cluster\'s partition count (default 256)',
    '  --shell / --http-allow PREFIX   enable the Shell runtime / allow Http steps to call PREFIX',
    SHUTDOWN_USAGE,
    ...NATS_SECURITY_USAGE,
    'Takes steps of its runtimes\' types from the cluster\'s queue groups; stops on Ctrl-C or SIGTERM.',
  ],
  async run(argv, io, globals) {
    const { values } = parseCommandLine(
      'worker',
      argv,
      {
        nats: { type: 'string' },
        partitions: { type: 'string' },
        shell: { type: 'boolean' },
        'http-allow': { type: 'string', multiple: true },
        'shutdown-timeout-ms': { type: 'string' },
        ...NATS_SECURITY_OPTIONS,
      },
      [],
    );
    const settings = nodeOverrides(globals, io.env, { logLevel: 'info' }, {
      nats: urls(values.nats),
      partitions: optionalPositiveInt(values.partitions, '--partitions'),
      shellEnabled: values.shell,
      httpAllowList: values['http-allow'],
      shutdownTimeoutMs: optionalPositiveInt(values['shutdown-timeout-ms'], '--shutdown-timeout-ms'),
      ...natsSecurity(values, io.env),
    });
    const nats = required('--nats', 'MAESTRO_NATS', settings.nats);
    const { defaultClusterConfig } = await import('../node/config.js');
    const config = defaultClusterConfig({ ...settings, nats, etcd: [] });
    const signals = new ShutdownSignals(io, config.shutdownTimeoutMs);
    try {
      const { startWorker } = await import('../node/worker.js');
      const worker = await startWorker(config);
      io.out(`worker running ${worker.types.join(', ')}`);
      await signals.received;
      return await signals.stop(() => worker.close(config.shutdownTimeoutMs));
    } finally {
      signals.dispose();
    }
  },
};

/** `maestro node` (a cluster node) and `maestro worker` (an executor-only process). */
import type { Command } from './command.js';
import { EXIT_OK } from './errors.js';
import type { CliIo } from './io.js';
import { parseCommandLine, parsePort } from './options.js';
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

const list = (flag: string, v: string | undefined): string[] => {
  const out = (v ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (out.length === 0) throw new UsageError(`${flag} is required (comma-separated URLs)`);
  return out;
};

const positiveInt = (flag: string, v: string | undefined): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} must be a positive integer, got ${JSON.stringify(v)}`);
  return n;
};

/** Resolves when SIGINT/SIGTERM arrives. */
function interrupted(io: CliIo): Promise<string> {
  return new Promise((resolve) => {
    const off = io.onInterrupt((signal) => {
      off();
      resolve(signal);
    });
  });
}

export const nodeCommand: Command = {
  name: 'node',
  group: 'cluster',
  summary: 'run a cluster node (NATS + etcd): owns a share of the partitions, serves gRPC, runs steps',
  usage: [
    'maestro node --nats URL[,URL...] --etcd URL[,URL...] [--grpc-port N] [--grpc-host HOST] [--advertise HOST]',
    '             [--node-id ID] [--partitions N] [--replicas N] [--lease-ttl-ms N] [--no-executor] [--shell] [--http-allow PREFIX]...',
    '  --nats URLS          NATS servers with JetStream (nats://host:4222,...)',
    '  --etcd URLS          etcd endpoints (http://host:2379,...)',
    '  --grpc-port N        gRPC port (default 50051; 0 picks a free one)',
    '  --grpc-host HOST     interface to listen on (default 127.0.0.1)',
    '  --advertise HOST     host other nodes and clients use to reach this one (default --grpc-host)',
    '  --partitions N       partition count; the same on every node (default 256)',
    '  --replicas N         JetStream replicas of the journal and KV (1 on one server, 3 on a 3-server cluster)',
    '  --lease-ttl-ms N     etcd lease TTL: a crashed node\'s partitions move after about this long (default 2000)',
    '  --no-executor        do not run steps here (leave them to `maestro worker` processes)',
    '  --shell / --http-allow PREFIX   enable the Shell runtime / allow Http steps to call PREFIX',
    'Security (all off by default; see the README\'s Security section):',
    ...GRPC_SERVER_SECURITY_USAGE,
    ...NATS_SECURITY_USAGE,
    ...ETCD_SECURITY_USAGE,
    'Prints "node ID serving on HOST:PORT" once it has joined; leaves gracefully on Ctrl-C or SIGTERM.',
  ],
  async run(argv, io) {
    const { values } = parseCommandLine(
      'node',
      argv,
      {
        nats: { type: 'string' },
        etcd: { type: 'string' },
        'grpc-port': { type: 'string' },
        'grpc-host': { type: 'string' },
        advertise: { type: 'string' },
        'node-id': { type: 'string' },
        partitions: { type: 'string' },
        replicas: { type: 'string' },
        'lease-ttl-ms': { type: 'string' },
        'no-executor': { type: 'boolean', default: false },
        shell: { type: 'boolean', default: false },
        'http-allow': { type: 'string', multiple: true },
        ...GRPC_SERVER_SECURITY_OPTIONS,
        ...NATS_SECURITY_OPTIONS,
        ...ETCD_SECURITY_OPTIONS,
      },
      [],
    );
    const replicas = positiveInt('--replicas', values.replicas);
    const grpcSecurity = grpcServerSecurity(values, io.env);
    const warning = plaintextTokenWarning(values['grpc-host'], grpcSecurity);
    if (warning) io.err(warning);
    const { startClusterNode } = await import('../node/cluster-node.js');
    const node = await startClusterNode({
      nats: list('--nats', values.nats),
      etcd: list('--etcd', values.etcd),
      grpcPort: values['grpc-port'] === undefined ? undefined : parsePort(values['grpc-port']),
      grpcHost: values['grpc-host'],
      advertiseHost: values.advertise,
      nodeId: values['node-id'],
      partitions: positiveInt('--partitions', values.partitions),
      journalReplicas: replicas,
      kvReplicas: replicas,
      leaseTtlMs: positiveInt('--lease-ttl-ms', values['lease-ttl-ms']),
      runExecutor: !values['no-executor'],
      shellEnabled: values.shell,
      httpAllowList: values['http-allow'] ?? [],
      ...grpcSecurity,
      ...natsSecurity(values, io.env),
      ...etcdSecurity(values, io.env),
    });
    io.out(`node ${node.nodeId} serving on ${node.grpcAddress}`);
    const signal = await interrupted(io);
    io.err(`${signal}: leaving the cluster (handing partitions over)`);
    await node.close();
    return EXIT_OK;
  },
};

export const workerCommand: Command = {
  name: 'worker',
  group: 'cluster',
  summary: 'run step runtimes for a cluster (owns no instances)',
  usage: [
    'maestro worker --nats URL[,URL...] [--partitions N] [--shell] [--http-allow PREFIX]... [NATS security options]',
    '  --nats URLS          NATS servers of the cluster',
    '  --partitions N       the cluster\'s partition count (default 256)',
    '  --shell / --http-allow PREFIX   enable the Shell runtime / allow Http steps to call PREFIX',
    ...NATS_SECURITY_USAGE,
    'Takes steps of its runtimes\' types from the cluster\'s queue groups; stops on Ctrl-C or SIGTERM.',
  ],
  async run(argv, io) {
    const { values } = parseCommandLine(
      'worker',
      argv,
      {
        nats: { type: 'string' },
        partitions: { type: 'string' },
        shell: { type: 'boolean', default: false },
        'http-allow': { type: 'string', multiple: true },
        ...NATS_SECURITY_OPTIONS,
      },
      [],
    );
    const { startWorker } = await import('../node/worker.js');
    const worker = await startWorker({
      nats: list('--nats', values.nats),
      partitions: positiveInt('--partitions', values.partitions),
      shellEnabled: values.shell,
      httpAllowList: values['http-allow'] ?? [],
      ...natsSecurity(values, io.env),
    });
    io.out(`worker running ${worker.types.join(', ')}`);
    const signal = await interrupted(io);
    io.err(`${signal}: stopping`);
    await worker.close();
    return EXIT_OK;
  },
};

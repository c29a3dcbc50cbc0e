/**
 * The gRPC server of a node: maestro.v1 services over an EngineApi, grpc.health.v1.Health and
 * server reflection (v1 and v1alpha).
 *
 * Reflection (reflection.ts) serves the descriptors protoc built for every proto/ file
 * (src/gen/descriptors.binpb, written by `npm run codegen`) and lists the services this server
 * actually serves: a service added there and registered through `services` is listed without
 * changes here. ClusterService is served when
 * the api object also has a `clusterInfo` function (embedded and cluster nodes). close() marks every service NOT_SERVING, ends open watch streams, then shuts down,
 * forcing it after `shutdownGraceMs`.
 *
 * Security is off unless asked for: `tls` serves TLS (mTLS with a client CA, see tls.ts) and
 * `auth` requires a bearer token on every call but health checks (auth.ts).
 */
import { existsSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import type { EngineApi } from '../workflow/engine-api.js';
import { InstanceServiceService, WorkflowServiceService } from '../gen/maestro/v1/service.js';
import { ClusterServiceService } from '../gen/maestro/v1/cluster.js';
import { authInterceptor, loadTokens, TokenVerifier, type GrpcAuthOptions } from './auth.js';
import { CLUSTER_SERVICE, clusterService, hasClusterInfo } from './cluster-service.js';
import { serverCredentials, type ServerTlsOptions } from './tls.js';
import { instanceService } from './instance-service.js';
import { STEP_SERVICE, stepService } from './step-service.js';
import { TAG_PERMIT_SERVICE, tagPermitService } from './tag-permit-service.js';
import { TagPermitServiceService } from '../gen/maestro/v1/permits.js';
import { SIGNAL_SERVICE, signalService } from './signal-service.js';
import { SignalServiceService } from '../gen/maestro/v1/signals.js';
import { TRIGGER_SERVICE, triggerService } from './trigger-service.js';
import { TriggerServiceService } from '../gen/maestro/v1/triggers.js';
import { StepServiceService } from '../gen/maestro/v1/actions.js';
import { WatchRegistry } from './watch.js';
import { workflowService } from './workflow-service.js';
import { moduleLogger, type Logger } from '../log/logger.js';
import { GRPC_SERVER_DEFAULTS } from './server-defaults.js';
import { addReflection, DescriptorIndex, REFLECTION_V1ALPHA_SERVICE, REFLECTION_V1_SERVICE } from './reflection.js';

/** The repository's proto/ folder, from src/control (tsx) or dist/src/control (compiled). */
export const PROTO_ROOT = findProtoRoot(fileURLToPath(new URL('.', import.meta.url)));

function findProtoRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'proto', 'maestro', 'v1'))) return join(dir, 'proto') + sep;
    if (dirname(dir) === dir) throw new Error(`proto/maestro/v1 not found above ${from}`);
  }
}
export const HEALTH_SERVICE = 'grpc.health.v1.Health';
export const WORKFLOW_SERVICE = 'maestro.v1.WorkflowService';
export const INSTANCE_SERVICE = 'maestro.v1.InstanceService';
export { CLUSTER_SERVICE } from './cluster-service.js';

/** A further service to serve (e.g. the cluster service), with its full proto name for health. */
export interface ServiceRegistration {
  name: string;
  definition: grpc.ServiceDefinition;
  implementation: grpc.UntypedServiceImplementation;
}

export interface GrpcServerOptions {
  /** Default "localhost". */
  host?: string;
  /** 0 picks a free port; the chosen one is returned. */
  port: number;
  services?: ServiceRegistration[];
  /** How long close() waits for calls in flight before cancelling them. */
  shutdownGraceMs?: number;
  /** Serve TLS (plaintext when absent). */
  tls?: ServerTlsOptions;
  /** Require a bearer token on every call except health checks (no authentication when absent). */
  auth?: GrpcAuthOptions;
  /** Largest message received or sent (grpc.max_receive/send_message_length); default 16 MiB. */
  maxMessageBytes?: number;
  /** Where calls that fail with an internal error are reported (module 'control'). */
  log?: Logger;
}


export interface GrpcServerHandle {
  port: number;
  close(): Promise<void>;
}

let descriptors: DescriptorIndex | undefined;
/** The descriptors reflection serves, read once per process. */
export function apiDescriptors(): DescriptorIndex {
  return (descriptors ??= DescriptorIndex.load());
}

function bind(server: grpc.Server, address: string, creds: grpc.ServerCredentials): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(address, creds, (err, port) => (err ? reject(err) : resolve(port)));
  });
}

export async function startGrpcServer(api: EngineApi, opts: GrpcServerOptions): Promise<GrpcServerHandle> {
  const host = opts.host ?? GRPC_SERVER_DEFAULTS.host;
  const graceMs = opts.shutdownGraceMs ?? GRPC_SERVER_DEFAULTS.shutdownGraceMs;
  const creds = serverCredentials(opts.tls);
  const interceptors = opts.auth === undefined ? [] : [authInterceptor(new TokenVerifier(loadTokens(opts.auth)))];
  const maxMessageBytes = opts.maxMessageBytes ?? GRPC_SERVER_DEFAULTS.maxMessageBytes;
  const server = new grpc.Server({ interceptors, 'grpc.max_receive_message_length': maxMessageBytes, 'grpc.max_send_message_length': maxMessageBytes });
  const watches = new WatchRegistry();

  const log = moduleLogger(opts.log, 'control');
  server.addService(WorkflowServiceService, workflowService(api, log));
  server.addService(InstanceServiceService, instanceService(api, watches, log));
  server.addService(StepServiceService, stepService(api, log));
  server.addService(TagPermitServiceService, tagPermitService(api, log));
  server.addService(SignalServiceService, signalService(api, log));
  server.addService(TriggerServiceService, triggerService(api, log));
  const names = [WORKFLOW_SERVICE, INSTANCE_SERVICE, STEP_SERVICE, TAG_PERMIT_SERVICE, SIGNAL_SERVICE, TRIGGER_SERVICE];
  if (hasClusterInfo(api)) {
    server.addService(ClusterServiceService, clusterService(api, log));
    names.push(CLUSTER_SERVICE);
  }
  for (const s of opts.services ?? []) {
    server.addService(s.definition, s.implementation);
    names.push(s.name);
  }

  const health = new HealthImplementation({ '': 'SERVING', ...Object.fromEntries(names.map((n) => [n, 'SERVING' as const])) });
  health.addToServer(server);
  addReflection(server, apiDescriptors(), [HEALTH_SERVICE, ...names, REFLECTION_V1_SERVICE, REFLECTION_V1ALPHA_SERVICE], log);

  const port = await bind(server, `${host.includes(':') ? `[${host}]` : host}:${opts.port}`, creds);

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= new Promise<void>((resolve) => {
      for (const n of ['', ...names]) health.setStatus(n, 'NOT_SERVING');
      watches.endAll();
      const force = setTimeout(() => {
        server.forceShutdown();
        resolve();
      }, graceMs);
      server.tryShutdown(() => {
        clearTimeout(force);
        resolve();
      });
    });
    return closing;
  };
  return { port, close };
}

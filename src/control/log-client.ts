/** A client of LogService (logs.proto): an attempt's stdout/stderr as an async stream of chunks. */
import * as grpc from '@grpc/grpc-js';
import { LogServiceClient, type LogChunk } from '../gen/maestro/v1/logs.js';
import { bearerTokenInterceptor } from './auth.js';
import type { ControlClientOptions } from './client.js';
import { fromServiceError } from './errors.js';
import { channelCredentials } from './tls.js';
import type { StepLogsRequest } from './log-service.js';

export type { LogChunk } from '../gen/maestro/v1/logs.js';

export interface LogClient {
  /** The chunks of LogService.StreamStepLogs; breaking out cancels the call. */
  stepLogs(req: StepLogsRequest): AsyncGenerator<LogChunk, void, undefined>;
  close(): void;
}

export function createLogClient(address: string, opts: ControlClientOptions = {}): LogClient {
  const interceptors = opts.token === undefined ? [] : [bearerTokenInterceptor(opts.token)];
  const client = new LogServiceClient(address, channelCredentials(opts.tls), { interceptors });
  return {
    async *stepLogs(req) {
      const stream = client.streamStepLogs({ ...req });
      try {
        for await (const msg of stream) yield msg as LogChunk;
      } catch (err) {
        throw isServiceError(err) ? fromServiceError(err) : err;
      } finally {
        stream.on('error', () => {}); // the CANCELLED that cancel() causes
        stream.cancel();
      }
    },
    close: () => client.close(),
  };
}

function isServiceError(e: unknown): e is grpc.ServiceError {
  return e instanceof Error && typeof (e as Partial<grpc.ServiceError>).code === 'number';
}

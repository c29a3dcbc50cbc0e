/**
 * maestro.v1.WorkerService: a worker's bidirectional stream (proto/maestro/v1/worker.proto),
 * handed to the node's WorkerGateway (worker-gateway.ts) once its hello is valid.
 *
 * - The first message must be `hello`; anything else ends the stream with INVALID_ARGUMENT
 *   naming `hello`. A bad hello names its field (hello.types, hello.types[i], hello.capacity).
 * - Then: results, heartbeats and credit, in any order. Every message counts as a sign of life;
 *   a stream silent for 3 heartbeat intervals is closed by the gateway (UNAVAILABLE).
 * - A protocol error (a second hello, a result for an attempt never given) ends the stream with
 *   INVALID_ARGUMENT naming the field; the stream's tasks go to other workers.
 * - The worker closing its side, a cancelled call or a transport error: the same hand-over.
 */
import type { ServerDuplexStream } from '@grpc/grpc-js';
import { ValidationError } from '../core/errors.js';
import { WorkerServiceService, type WorkerCommand, type WorkerMessage, type WorkerServiceServer } from '../gen/maestro/v1/worker.js';
import type { Logger } from '../log/logger.js';
import { toGrpcStatus } from './errors.js';
import type { ServiceRegistration } from './server.js';
import type { StreamSink, WorkerConn, WorkerGateway } from './worker-gateway.js';

export const WORKER_SERVICE = 'maestro.v1.WorkerService';

export function workerServiceRegistration(gateway: WorkerGateway, log: Logger): ServiceRegistration {
  return { name: WORKER_SERVICE, definition: WorkerServiceService, implementation: workerService(gateway, log) };
}

export function workerService(gateway: WorkerGateway, log: Logger): WorkerServiceServer {
  return {
    connect(call: ServerDuplexStream<WorkerMessage, WorkerCommand>) {
      let conn: WorkerConn | undefined;
      let ended = false;
      let handshake: Promise<void> | undefined;
      const sink: StreamSink = {
        send: (cmd) => {
          if (!ended) call.write(cmd);
        },
        end: (err) => {
          if (ended) return;
          ended = true;
          if (err === undefined) call.end();
          else call.emit('error', toGrpcStatus(err));
        },
      };
      const fail = (err: unknown): void => {
        if (!(err instanceof ValidationError)) log.warn({ err, workerId: conn?.id }, 'worker stream failed');
        sink.end(err instanceof Error ? err : new Error(String(err)));
        if (conn) gateway.disconnect(conn, `protocol error: ${(err as Error).message}`);
      };
      const handle = (c: WorkerConn, msg: WorkerMessage): void => {
        try {
          gateway.seen(c);
          if (msg.hello !== undefined) throw new ValidationError('hello', 'hello was already sent on this stream');
          if (msg.result !== undefined) gateway.result(c, msg.result);
          else if (msg.credit !== undefined) gateway.credit(c, msg.credit.credit);
          else if (msg.log !== undefined) gateway.log(c, msg.log);
        } catch (err) {
          fail(err);
        }
      };
      call.on('data', (msg: WorkerMessage) => {
        if (ended) return;
        if (conn !== undefined) return handle(conn, msg);
        try {
          if (handshake === undefined) {
            if (msg.hello === undefined) throw new ValidationError('hello', 'the first message of a worker stream must be hello');
            const hello = msg.hello;
            handshake = gateway.connect({ workerId: hello.workerId, types: hello.types, capacity: hello.capacity, sdk: hello.sdk }, sink).then(
              (c) => {
                conn = c;
                if (ended) gateway.disconnect(c, 'stream ended during the handshake');
              },
              fail,
            );
            return;
          }
          // sent before the welcome: handled once the handshake is done, in order
          void handshake.then(() => {
            if (conn !== undefined && !ended) handle(conn, msg);
          });
        } catch (err) {
          fail(err);
        }
      });
      const gone = (why: string) => () => {
        if (!ended) {
          ended = true;
          if (why === 'closed by the worker') call.end();
        }
        if (conn) gateway.disconnect(conn, why);
      };
      call.on('end', gone('closed by the worker'));
      call.on('cancelled', gone('cancelled'));
      call.on('error', (err: Error) => {
        log.debug({ err, workerId: conn?.id }, 'worker stream error');
        gone('stream error')();
      });
      call.on('close', gone('closed'));
    },
  };
}

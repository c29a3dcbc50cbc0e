/** A node's task-log reader: the live tails it keeps (LiveLogs) and the LogService serving them. */
import { logServiceRegistration } from '../control/log-service.js';
import type { ServiceRegistration } from '../control/server.js';
import type { Logger } from '../log/logger.js';
import type { Transport } from '../transport/port.js';
import type { EngineApi } from '../workflow/engine-api.js';
import { LiveLogs } from '../workflow/live-logs.js';

export interface TaskLogs {
  live: LiveLogs;
  service: ServiceRegistration;
  /** Ends the topic subscription (the transport closing ends it too). */
  close(): Promise<void>;
}

export function openTaskLogs(api: Pick<EngineApi, 'getInstance' | 'watchWithSnapshot'>, transport: Pick<Transport, 'subscribe'>, log: Logger): TaskLogs {
  const live = LiveLogs.open(transport);
  return { live, service: logServiceRegistration({ api, live }, log.child({ module: 'logs' })), close: () => live.close() };
}

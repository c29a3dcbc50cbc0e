/**
 * A journal that reports each append's latency and batch size (EngineMetrics.journalAppend) and
 * otherwise passes every call through. The composition root wraps the node's journal with it, so
 * the instance and service actors measure nothing themselves. A failed append is not observed
 * (its error goes to the caller as before).
 */
import type { EngineMetrics } from '../log/metrics.js';
import type { Journal } from './port.js';

export function meteredJournal(journal: Journal, metrics: EngineMetrics): Journal {
  return {
    claim: (partition, epoch) => journal.claim(partition, epoch),
    append(partition, epoch, records) {
      const t0 = performance.now();
      return journal.append(partition, epoch, records).then(() => metrics.journalAppend((performance.now() - t0) / 1000, records.length));
    },
    snapshot: (partition, epoch, snapshots, forget) => journal.snapshot(partition, epoch, snapshots, forget),
    load: (partition) => journal.load(partition),
    close: () => journal.close(),
  };
}

/**
 * What the engine reports for Prometheus (README, "Metrics"): a narrow port the components call
 * on their hot paths — each call is one counter increment or one histogram observation, with
 * labels from small fixed sets (never an instance id). The node implements it with prom-client
 * (src/node/prometheus.ts) and serves the registry on GET /metrics. `NO_METRICS` does nothing:
 * tests and library uses that scrape nothing pass nothing.
 *
 * Durations are in seconds. What is a level rather than an event (resident actors, partitions
 * owned, queue depths) is not reported through this port: the node reads it when scraped.
 */
export interface EngineMetrics {
  /** A predecessor step's result applied -> a successor dispatched (once per successor dispatched). */
  stepLaunch(seconds: number): void;
  /** A new instance's Start taken by its owner -> its first step(s) dispatched. */
  startOverhead(seconds: number): void;
  /** A step attempt reached a terminal status (after its event was durable). */
  stepEnded(stepType: string, status: string): void;
  /** One journal append: how long until it was durable, and how many records it carried. */
  journalAppend(seconds: number, records: number): void;
  /** A step left WAITING_FOR_PERMITS (granted, or stopped while waiting) after this long. */
  permitWait(seconds: number): void;
  /** A stored signal reached a waiting step: the signal's creation -> the instance took the match. */
  signalMatch(seconds: number): void;
  /** A trigger started `count` workflow runs (after its fire was durable). */
  triggerFired(kind: 'time' | 'signal', count: number): void;
}

const nothing = (): void => undefined;

export const NO_METRICS: EngineMetrics = {
  stepLaunch: nothing,
  startOverhead: nothing,
  stepEnded: nothing,
  journalAppend: nothing,
  permitWait: nothing,
  signalMatch: nothing,
  triggerFired: nothing,
};

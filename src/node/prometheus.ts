/**
 * The node's Prometheus metrics (README, "Metrics"): one prom-client Registry per node, served
 * on GET /metrics by the node's HTTP server (control/http-routes.ts).
 *
 * - Events (launch latencies, step ends, journal appends, signal matches, trigger fires, permit
 *   waits) arrive through the EngineMetrics port (src/log/metrics.ts) that the composition root
 *   passes down; each is one histogram observation or counter increment.
 * - Levels (partitions owned, resident and waiting actors, executor and worker queue depths,
 *   connected workers, permit requests waiting) are read from the node's parts when scraped
 *   (`watch`), so no hot path updates a gauge.
 * - Cluster nodes also count ownership changes and failovers (`trackOwnership`).
 *
 * Label values come from small sets: step types as written in definitions (at most
 * MAX_STEP_TYPES, then "other"), terminal statuses, trigger kinds, worker types.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { EngineMetrics } from '../log/metrics.js';
import type { LocalPartitions } from '../workflow/partitions.js';
import type { ExecutorHandle } from '../executor/executor.js';
import type { WorkerGateway } from '../control/worker-gateway.js';
import type { PartitionManager } from '../cluster/partition-manager.js';
import type { Membership } from '../cluster/port.js';
import { assignPartitions } from '../cluster/placement.js';
import { partitionOf } from '../core/partition.js';
import { PERMITS_KEY, type PermitState } from '../core/permits/model.js';

/** Distinct step type labels kept; later types are counted as "other" (a bounded label set). */
export const MAX_STEP_TYPES = 200;

/** Sub-millisecond to seconds: dispatch, start and journal latencies. */
const LATENCY_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096];
/** Milliseconds to an hour: signals and permits may wait long. */
const WAIT_BUCKETS = [0.001, 0.005, 0.025, 0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600];

/** What the scrape reads levels from (set once the node assembled them). */
export interface MetricSources {
  partitions: LocalPartitions;
  /** The node's partition count (where the permit manager lives). */
  partitionCount: number;
  executor?: ExecutorHandle;
  workers?: WorkerGateway;
}

export interface NodeMetrics {
  readonly registry: Registry;
  /** Passed down to the engine (assembleEngine's `metrics`). */
  readonly engine: EngineMetrics;
  /** The content type of `text()` (Prometheus text exposition format). */
  readonly contentType: string;
  text(): Promise<string>;
  /** Levels are read from these at every scrape. */
  watch(sources: MetricSources): void;
  /** Ownership counters (trackOwnership moves them; an embedded node keeps them at 0). */
  readonly ownership: { changes: Counter<'change' | 'reason'>; failovers: Counter };
}

/**
 * Process metrics (CPU, memory, event loop, GC: prom-client's defaults), one registry per
 * process, started by the first scrape: processes that are never scraped (tests, embedded
 * library use) pay nothing for them, and several nodes in one process share them.
 */
let processRegistry: Registry | undefined;
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

export function createNodeMetrics(): NodeMetrics {
  const registry = new Registry();
  const registers = [registry];
  let sources: MetricSources | undefined;

  const stepLaunch = new Histogram({
    name: 'maestro_step_launch_latency_seconds',
    help: "A predecessor step's result applied -> a successor dispatched (journal append included).",
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const startOverhead = new Histogram({
    name: 'maestro_workflow_start_overhead_seconds',
    help: "A new instance's Start taken by its owner -> its first step(s) dispatched.",
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const stepsEnded = new Counter({
    name: 'maestro_steps_ended_total',
    help: 'Step attempts that reached a terminal status, by step type and status.',
    labelNames: ['type', 'status'] as const,
    registers,
  });
  const appendSeconds = new Histogram({ name: 'maestro_journal_append_seconds', help: 'Journal appends: call -> durable.', buckets: LATENCY_BUCKETS, registers });
  const appendRecords = new Histogram({ name: 'maestro_journal_append_records', help: 'Records per journal append (an actor batch).', buckets: BATCH_BUCKETS, registers });
  const permitWait = new Histogram({
    name: 'maestro_permit_wait_seconds',
    help: 'Time steps spent in WAITING_FOR_PERMITS (until granted or stopped).',
    buckets: WAIT_BUCKETS,
    registers,
  });
  const signalMatch = new Histogram({
    name: 'maestro_signal_match_latency_seconds',
    help: 'A signal announced (stored) -> a step waiting for it took the match.',
    buckets: WAIT_BUCKETS,
    registers,
  });
  const triggerFires = new Counter({
    name: 'maestro_trigger_fires_total',
    help: 'Workflow runs started by triggers, by kind (time, signal).',
    labelNames: ['kind'] as const,
    registers,
  });
  for (const kind of ['time', 'signal']) triggerFires.labels(kind).inc(0);

  new Gauge({
    name: 'maestro_partitions_owned',
    help: 'Partitions this node owns now.',
    registers,
    collect() {
      this.set(sources?.partitions.owned().size ?? 0);
    },
  });
  new Gauge({
    name: 'maestro_actors_resident',
    help: 'Actors held in memory on this node, by kind (instance, service).',
    labelNames: ['kind'] as const,
    registers,
    collect() {
      let instances = 0;
      let services = 0;
      for (const host of hostsOf(sources)) {
        instances += host.size;
        services += host.serviceCount;
      }
      this.labels('instance').set(instances);
      this.labels('service').set(services);
    },
  });
  new Gauge({
    name: 'maestro_instances_dormant',
    help: 'Finished instances held as one encoded buffer each instead of a live actor (counted in maestro_actors_resident{kind="instance"} too).',
    registers,
    collect() {
      let n = 0;
      for (const host of hostsOf(sources)) n += host.dormantCount;
      this.set(n);
    },
  });
  new Gauge({
    name: 'maestro_actors_waiting',
    help: 'Instance actors held here whose run has not ended (waiting on steps, timers, signals, permits or children).',
    registers,
    collect() {
      let n = 0;
      for (const host of hostsOf(sources)) n += host.count({ terminal: false });
      this.set(n);
    },
  });
  new Gauge({
    name: 'maestro_executor_tasks',
    help: "Step attempts in this node's executor, by state (running, queued for a run slot).",
    labelNames: ['state'] as const,
    registers,
    collect() {
      this.labels('running').set(sources?.executor?.running ?? 0);
      this.labels('queued').set(sources?.executor?.queued ?? 0);
    },
  });
  new Gauge({
    name: 'maestro_worker_tasks',
    help: 'Tasks of worker step types on this node, by type and state (queued: waiting for worker credit; held: given to a worker).',
    labelNames: ['type', 'state'] as const,
    registers,
    collect() {
      this.reset();
      for (const s of sources?.workers?.stats() ?? []) {
        this.labels(s.type, 'queued').set(s.queued);
        this.labels(s.type, 'held').set(s.held);
      }
    },
  });
  new Gauge({
    name: 'maestro_workers_connected',
    help: 'Worker streams connected to this node, by step type.',
    labelNames: ['type'] as const,
    registers,
    collect() {
      this.reset();
      for (const s of sources?.workers?.stats() ?? []) this.labels(s.type).set(s.workers);
    },
  });
  new Gauge({
    name: 'maestro_permit_requests_waiting',
    help: 'Tag permit requests waiting at the permit manager (reported by the node that owns it; 0 elsewhere).',
    registers,
    collect() {
      const src = sources;
      const state = src ? (src.partitions.host(partitionOf(PERMITS_KEY, src.partitionCount))?.serviceState(PERMITS_KEY) as PermitState | undefined) : undefined;
      this.set(state?.waiting.length ?? 0);
    },
  });

  const changes = new Counter({
    name: 'maestro_partition_ownership_changes_total',
    help: 'Partitions this node acquired or released, by change and reason (acquired: rebalance from a live member, handoff from a member that released it and left, or failover from one whose lease expired; released: rebalance, or lost when this node lost its lease).',
    labelNames: ['change', 'reason'] as const,
    registers,
  });
  const failovers = new Counter({
    name: 'maestro_partition_failovers_total',
    help: 'Partitions this node took over from a node that is no longer a member and did not release them (its lease expired: a crash or a lost lease); a graceful leave is a handoff, not counted here.',
    registers,
  });
  for (const [change, reason] of [
    ['acquired', 'rebalance'],
    ['acquired', 'handoff'],
    ['acquired', 'failover'],
    ['released', 'rebalance'],
    ['released', 'lost'],
  ] as const)
    changes.labels(change, reason).inc(0);

  const stepTypes = new Set<string>();
  const engine: EngineMetrics = {
    stepLaunch: (s) => stepLaunch.observe(s),
    startOverhead: (s) => startOverhead.observe(s),
    stepEnded(type, status) {
      if (!stepTypes.has(type)) {
        if (stepTypes.size >= MAX_STEP_TYPES) type = 'other';
        else stepTypes.add(type);
      }
      stepsEnded.labels(type, status).inc();
    },
    journalAppend(seconds, records) {
      appendSeconds.observe(seconds);
      appendRecords.observe(records);
    },
    permitWait: (s) => permitWait.observe(s),
    signalMatch: (s) => signalMatch.observe(s),
    triggerFired: (kind, count) => triggerFires.labels(kind).inc(count),
  };
  return {
    registry,
    engine,
    contentType: registry.contentType,
    text: () => Registry.merge([registry, processMetrics()]).metrics(),
    watch(s) {
      sources = s;
    },
    ownership: { changes, failovers },
  };
}

function hostsOf(sources: MetricSources | undefined) {
  if (!sources) return [];
  const out = [];
  for (const p of sources.partitions.owned().keys()) {
    const h = sources.partitions.host(p);
    if (h) out.push(h);
  }
  return out;
}

/**
 * A cluster node's ownership changes: every acquire and release (`maestro_partition_ownership
 * _changes_total`), and failovers: partitions this node acquired whose previous owner (by the
 * partition map before the change) is no longer a member and did not release them — its claim
 * went with its lease (kill -9, a lost lease). A previous owner that released its claim before
 * leaving (a graceful stop) is a `handoff`: the claim store tells, per claim, whether the claim
 * before it was released (`releasedBy`, from the handoff marker). A release for `lost` is this
 * node's own lease expiring. Returns the unsubscribe.
 */
export function trackOwnership(metrics: NodeMetrics, manager: PartitionManager, membership: Membership, selfId: string, partitionCount: number): () => void {
  const { changes, failovers } = metrics.ownership;
  /** Per partition: the other node that owned it by the map before it moved to this node. */
  const formerOwner: Array<string | undefined> = [];
  let members = new Set<string>();
  let map: readonly string[] = [];
  const onView = (ids: readonly string[]): void => {
    const next = ids.length === 0 ? [] : assignPartitions(ids, partitionCount);
    for (let p = 0; p < next.length; p++) {
      if (next[p] === selfId && map[p] !== undefined && map[p] !== selfId) formerOwner[p] = map[p];
    }
    members = new Set(ids);
    map = next;
  };
  onView(membership.current().members.map((m) => m.nodeId));
  const offView = membership.onChange((view) => onView(view.members.map((m) => m.nodeId)));
  const offOwnership = manager.onOwnershipChange((c) => {
    if (c.kind === 'released') {
      changes.labels('released', c.reason).inc();
      return;
    }
    const former = formerOwner[c.partition];
    formerOwner[c.partition] = undefined;
    const gone = former !== undefined && !members.has(former);
    const reason = !gone ? 'rebalance' : c.releasedBy !== undefined ? 'handoff' : 'failover';
    changes.labels('acquired', reason).inc();
    if (reason === 'failover') failovers.inc();
  });
  return () => {
    offView();
    offOwnership();
  };
}

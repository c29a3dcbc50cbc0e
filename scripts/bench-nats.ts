/**
 * Loopback latency and throughput of the NATS adapters, against a local nats-server (started
 * here in a temp dir, or the one at NATS_URL):
 * - transport request round trip (client -> partition owner -> reply), sequential and with
 *   `concurrency` requests in flight;
 * - dispatch round trip (task -> executor ack);
 * - JetStream journal append (R1), sequential, and with `concurrency` appenders over 16
 *   partitions (group commit).
 * Prints p50/p99/max from an HDR histogram and operations per second.
 *
 *   npx tsx scripts/bench-nats.ts [seconds=2] [concurrency=64]
 */
import * as hdr from 'hdr-histogram-js';
import type { DispatchedTask } from '../src/protocol/executor.js';
import { JetStreamJournal } from '../src/journal/jetstream/jetstream-journal.js';
import { NatsTransport } from '../src/transport/nats/nats-transport.js';
import { startNats, type NatsFixture } from '../test/helpers/nats-server.js';
import { WIRE_SCHEMAS } from '../src/workflow/message-schemas.js';

const seconds = Number(process.argv[2] ?? 2);
const concurrency = Number(process.argv[3] ?? 64);
const PARTITIONS = 16;

type Op = (i: number) => Promise<unknown>;

/** Runs `op` from `workers` loops for `seconds`; prints latency percentiles and throughput. */
async function measure(label: string, workers: number, op: Op): Promise<void> {
  const h = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
  let ops = 0;
  let stop = false;
  const loop = async (w: number): Promise<void> => {
    for (let i = 0; !stop; i++) {
      const t0 = process.hrtime.bigint();
      await op(w * 1_000_000 + i);
      h.recordValue(Math.max(1, Number(process.hrtime.bigint() - t0) / 1000));
      ops++;
    }
  };
  const t0 = performance.now();
  const running = Array.from({ length: workers }, (_, w) => loop(w));
  await new Promise((r) => setTimeout(r, seconds * 1000));
  stop = true;
  await Promise.all(running);
  const elapsedS = (performance.now() - t0) / 1000;
  const ms = (us: number): string => (us / 1000).toFixed(3).padStart(7);
  console.log(
    `${label.padEnd(38)} ${Math.round(ops / elapsedS).toLocaleString('en-US').padStart(8)} ops/s` +
      `  p50 ${ms(h.getValueAtPercentile(50))} ms  p99 ${ms(h.getValueAtPercentile(99))} ms  max ${ms(h.maxValue)} ms`,
  );
}

function task(i: number): DispatchedTask {
  return {
    instanceKey: `bench-wf/${i % 1000}`,
    workflowId: 'bench-wf',
    instanceId: i % 1000,
    runId: 1,
    stepId: `job${i % 10}`,
    attempt: 1,
    attemptId: `bench-wf/${i % 1000}/1/job${i % 10}/${i}`,
    stepType: 'NoOp',
    params: { a: 1, b: 'two' },
    startedAtMs: Date.now(),
    partition: 0,
    epoch: 1,
  };
}

async function main(): Promise<void> {
  let fixture: NatsFixture | undefined;
  const servers = process.env['NATS_URL'] ? [process.env['NATS_URL']] : (fixture = await startNats({ jetstream: true })).urls;
  const [client, owner] = await Promise.all([
    NatsTransport.connect({ servers, partitions: PARTITIONS, schemas: WIRE_SCHEMAS, name: 'bench-client' }),
    NatsTransport.connect({ servers, partitions: PARTITIONS, schemas: WIRE_SCHEMAS, name: 'bench-owner' }),
  ]);
  const journal = await JetStreamJournal.connect({ servers, stream: 'BENCH_JOURNAL', subjectPrefix: 'bench.journal' });
  try {
    for (let p = 0; p < PARTITIONS; p++) await owner.serve(p, async (_to, body) => ({ ok: true, seen: (body as { n: number }).n }));
    await owner.serveExecutor(['NoOp'], () => {});
    const result = (i: number) => ({ type: 'StepResult', stepId: 'job1', runId: 1, attempt: 1, attemptId: `a/${i}`, result: { status: 'SUCCEEDED', n: i } });

    console.log(`nats adapters, ${seconds}s per row, servers ${servers.join(',')}`);
    await measure('request round trip, 1 in flight', 1, (i) => client.request(`bench-wf/${i % 1000}`, result(i)));
    await measure(`request round trip, ${concurrency} in flight`, concurrency, (i) => client.request(`bench-wf/${i % 1000}`, result(i)));
    await measure('dispatch + executor ack, 1 in flight', 1, (i) => client.dispatch(task(i)));
    await measure(`dispatch + executor ack, ${concurrency} in flight`, concurrency, (i) => client.dispatch(task(i)));

    const epoch = Math.floor(Date.now() / 1000);
    for (let p = 0; p < PARTITIONS; p++) await journal.claim(p, epoch);
    const seqs = new Map<number, number>();
    const append = (i: number): Promise<void> => {
      const inst = i % 4096;
      const seq = (seqs.get(inst) ?? 0) + 1;
      seqs.set(inst, seq);
      return journal.append(inst % PARTITIONS, epoch, [
        { instanceKey: `bench-wf/${inst}`, seq, event: { type: 'StepFinished', stepId: `job${seq % 10}`, status: 'SUCCEEDED', at: Date.now() } },
      ]);
    };
    await measure('journal append (R1), 1 in flight', 1, append);
    await measure(`journal append (R1), ${concurrency} in flight`, concurrency, append);

    // Recovery reads a partition message by message: time a load of the partition just written.
    const t0 = performance.now();
    const image = await journal.load(0);
    const loadMs = performance.now() - t0;
    let records = 0;
    for (const inst of image.instances.values()) records += inst.records.length;
    const written = [...seqs.entries()].filter(([inst]) => inst % PARTITIONS === 0).reduce((n, [, seq]) => n + seq, 0);
    console.log(`journal load of partition 0: ${records} records (${written} appended) in ${loadMs.toFixed(0)} ms`);
  } finally {
    await Promise.all([client.close(), owner.close(), journal.close()]);
    await fixture?.stop();
  }
}

await main();

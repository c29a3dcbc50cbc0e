/**
 * Throughput probe for FileJournal: 16 partitions, 1000 concurrent appenders (one instance each,
 * one record per append, ~100-byte events), for fsync=batch and fsync=never.
 * Prints records/s, writes and fsyncs per second, mean batch size and append latency p50/p99/max.
 *
 *   npx tsx scripts/bench-journal.ts [seconds=3] [appenders=1000] [partitions=16]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as hdr from 'hdr-histogram-js';
import { FileJournal } from '../src/journal/file/file-journal.js';
import type { FsyncMode } from '../src/journal/file/options.js';

const seconds = Number(process.argv[2] ?? 3);
const appenders = Number(process.argv[3] ?? 1000);
const partitions = Number(process.argv[4] ?? 16);

async function run(fsync: FsyncMode): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'maestro-bench-journal-'));
  const journal = await FileJournal.open(dir, { fsync });
  const latencyUs = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
  try {
    for (let p = 0; p < partitions; p++) await journal.claim(p, 1);
    const start0 = journal.stats();
    let records = 0;
    let stop = false;
    const appender = async (i: number) => {
      const instanceKey = `bench-wf/${i}`;
      for (let seq = 1; !stop; seq++) {
        const t0 = process.hrtime.bigint();
        await journal.append(i % partitions, 1, [
          { instanceKey, seq, event: { type: 'StepFinished', stepId: `job${seq % 10}`, attempt: 1, status: 'SUCCEEDED', at: Date.now() } },
        ]);
        latencyUs.recordValue(Math.max(1, Number(process.hrtime.bigint() - t0) / 1000));
        records++;
      }
    };
    const t0 = performance.now();
    const workers = Array.from({ length: appenders }, (_, i) => appender(i));
    await new Promise((r) => setTimeout(r, seconds * 1000));
    stop = true;
    await Promise.all(workers);
    const elapsedS = (performance.now() - t0) / 1000;
    const s = journal.stats();
    const writes = s.writes - start0.writes;
    const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
    console.log(
      `fsync=${fsync.padEnd(5)} ${fmt(records / elapsedS)} records/s  ` +
        `writes/s ${fmt(writes / elapsedS)}  fsyncs/s ${fmt((s.fsyncs - start0.fsyncs) / elapsedS)}  ` +
        `frames/write ${(records / Math.max(1, writes)).toFixed(1)}  compactions ${s.compactions}  ` +
        `latency p50 ${(latencyUs.getValueAtPercentile(50) / 1000).toFixed(2)} ms  ` +
        `p99 ${(latencyUs.getValueAtPercentile(99) / 1000).toFixed(2)} ms  max ${(latencyUs.maxValue / 1000).toFixed(2)} ms`,
    );
  } finally {
    await journal.close();
    await rm(dir, { recursive: true, force: true });
  }
}

console.log(`FileJournal: ${partitions} partitions, ${appenders} concurrent appenders, ${seconds}s per mode (${tmpdir()})`);
for (const mode of ['batch', 'never'] as const) await run(mode);

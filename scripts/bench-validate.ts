/**
 * Trust-boundary micro-benchmark: ns per message of the wire checks a transport applies on
 * receipt (schema check + stripped copy), for the hot-path messages (step task, step result to
 * an instance) and the rest, next to the msgpack decode the NATS adapter does anyway.
 * Run with `npx tsx scripts/bench-validate.ts [iterations]` (or compiled: `npm run build`,
 * `node dist/scripts/bench-validate.js`).
 */
import { decode, encode } from '../src/nats/codec.js';
import { attemptHeartbeat, cancelAttempt, stepTask } from '../src/protocol/schemas.js';
import { parseActorMessage } from '../src/workflow/message-schemas.js';

const iterations = Number(process.argv[2] ?? 1_000_000);

const task = {
  instanceKey: 'daily-etl/123456',
  workflowId: 'daily-etl',
  instanceId: 123456,
  runId: 1,
  stepId: 'extract_orders',
  attempt: 1,
  attemptId: 'daily-etl/123456/1/extract_orders/1',
  stepType: 'Sleep',
  params: {
    sleep_seconds: 1,
    region: 'us-west-2',
    batch_size: 500,
    dry_run: false,
    RUN_TS: 1_700_000_000_000,
    TARGET_RUN_DATE: '20231114',
    owner: 'data-eng',
    tables: ['orders', 'customers'],
  },
  startedAtMs: 1_700_000_000_000,
  timeoutMs: 3_600_000,
  partition: 17,
  epoch: 42,
};
const result = {
  type: 'StepResult',
  stepId: 'extract_orders',
  runId: 1,
  attempt: 1,
  attemptId: 'daily-etl/123456/1/extract_orders/1',
  result: { status: 'SUCCEEDED', outputs: { rows: 1200, path: 's3://bucket/x' }, details: { exitCode: 0 } },
};

const CASES: Array<[string, () => unknown]> = [
  ['StepTask check (hot: every dispatch)', () => stepTask.parse(task)],
  ['StepResult to an instance check (hot: every result)', () => parseActorMessage('daily-etl/123456', result)],
  ['Start check', () => parseActorMessage('daily-etl/123456', { type: 'Start', workflowId: 'daily-etl', instanceId: 123456, version: 3, params: { region: 'eu' } })],
  ['Get check', () => parseActorMessage('daily-etl/123456', { type: 'Get' })],
  ['CancelAttempt check', () => cancelAttempt.parse({ attemptId: task.attemptId, partition: 17, epoch: 42 })],
  ['AttemptHeartbeat check, 20 attempts', () => attemptHeartbeat.parse(heartbeat)],
];
const heartbeat = { attempts: Array.from({ length: 20 }, (_, i) => [`wf/${i}`, `wf/${i}/1/s/1`]) };
const taskBytes = encode(task).slice();
const resultBytes = encode(result).slice();
CASES.push(
  ['StepTask msgpack decode alone (for scale)', () => decode(taskBytes)],
  ['StepTask decode + check', () => stepTask.parse(decode(taskBytes))],
  ['StepResult decode + check', () => parseActorMessage('daily-etl/123456', decode(resultBytes))],
);

function nsPerOp(fn: () => unknown, n: number): number {
  let sink = 0;
  for (let i = 0; i < Math.min(n, 100_000); i++) sink += fn() === undefined ? 0 : 1; // warm-up (JIT)
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) sink += fn() === undefined ? 0 : 1;
  const ns = Number(process.hrtime.bigint() - start) / n;
  if (sink < 0) console.log(sink);
  return ns;
}

console.log(`wire checks, ${iterations} iterations each (node ${process.version})`);
for (const [name, fn] of CASES) {
  const best = Math.min(nsPerOp(fn, iterations), nsPerOp(fn, iterations), nsPerOp(fn, iterations));
  console.log(`${name.padEnd(52)} ${best.toFixed(0).padStart(6)} ns/message`);
}

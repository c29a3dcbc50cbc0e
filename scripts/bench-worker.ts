/**
 * The external worker of `npm run bench -- --section client`: a separate process that serves one
 * step type over the worker protocol (src/sdk/worker.ts) and answers every task at once with an
 * output. Usage: node dist/scripts/bench-worker.js ADDRESS TYPE CONCURRENCY; prints "ready" once
 * its stream is open.
 */
import { createWorker } from '../src/sdk/worker.js';

const [address, type, concurrency] = process.argv.slice(2);
if (!address || !type) {
  console.error('usage: bench-worker ADDRESS TYPE [CONCURRENCY]');
  process.exit(2);
}
const worker = createWorker({
  address,
  types: [type],
  concurrency: Number(concurrency ?? 256),
  handler: (task) => ({ done: task.attempt }),
});
await worker.connected;
console.log('ready');
process.on('SIGTERM', () => {
  void worker.close().then(() => process.exit(0));
});

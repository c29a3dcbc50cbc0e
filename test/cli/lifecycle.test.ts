import test from 'ava';
import { ShutdownSignals } from '../../src/cli/lifecycle.js';
import { captureIo, type CapturedIo } from './helpers.js';

/** Resolves with the first code the command passes to io.exit. */
function exitCalled(io: CapturedIo): Promise<number> {
  return new Promise((resolve) => {
    const record = io.exit;
    io.exit = (code) => {
      record(code);
      resolve(code);
    };
  });
}

test('the first signal says so and starts a graceful stop; a stop in time exits 0', async (t) => {
  const io = captureIo();
  const signals = new ShutdownSignals(io, 10_000);
  io.interrupt('SIGTERM');
  t.is(await signals.received, 'SIGTERM');
  t.deepEqual(io.stderr, ['received SIGTERM: shutting down gracefully (deadline 10s; send again to exit now)']);
  let closed = false;
  t.is(await signals.stop(async () => void (closed = true)), 0);
  t.true(closed);
  io.interrupt('SIGTERM');
  t.deepEqual(io.exits, [], 'after the stop the handlers are gone');
});

test('a stop that outlives the deadline ends the process with 1', async (t) => {
  const io = captureIo();
  const exited = exitCalled(io);
  const signals = new ShutdownSignals(io, 30);
  io.interrupt('SIGINT');
  void signals.stop(() => new Promise<void>(() => undefined)); // hangs, as with NATS and etcd gone
  t.is(await exited, 1);
  t.deepEqual(io.stderr, ['received SIGINT: shutting down gracefully (deadline 0.03s; send again to exit now)', 'shutdown deadline passed: exiting now']);
  signals.dispose();
});

test('a second signal exits at once', async (t) => {
  const io = captureIo();
  const exited = exitCalled(io);
  const signals = new ShutdownSignals(io, 60_000);
  io.interrupt('SIGTERM');
  io.interrupt('SIGTERM');
  t.is(await exited, 1);
  t.is(io.stderr[1], 'received SIGTERM again: exiting now');
  signals.dispose();
});

test('a signal during start-up is kept; a failing stop is reported with exit 1', async (t) => {
  const io = captureIo();
  const signals = new ShutdownSignals(io, 5_000);
  io.interrupt('SIGINT'); // before anything awaits `received`
  t.is(await signals.received, 'SIGINT');
  t.is(await signals.stop(() => Promise.reject(new Error('journal broken'))), 1);
  t.is(io.stderr.at(-1), 'shutdown failed: error: journal broken');
  t.deepEqual(io.exits, []);
});

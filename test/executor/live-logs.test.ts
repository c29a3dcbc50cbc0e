import test from 'ava';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultExecutorOptions } from '../../src/executor/options.js';
import { ShellRuntime } from '../../src/executor/runtimes/shell.js';
import { AttemptLogPublisher } from '../../src/executor/log-publisher.js';
import { LiveLogs } from '../../src/workflow/live-logs.js';
import { TOPIC_ATTEMPT_LOG, type AttemptLogChunk } from '../../src/protocol/executor.js';
import { attemptLogChunk } from '../../src/protocol/schemas.js';
import { makeTask, never } from './task-fixture.js';
import { recordingLogger } from '../helpers/log.js';

test('Shell reports output live through RunIo, before the command ends; a split UTF-8 character stays whole', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'maestro-live-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const go = join(dir, 'go');
  const seen: Array<[string, string]> = [];
  let sawFirst!: () => void;
  const first = new Promise<void>((resolve) => (sawFirst = resolve));
  const io = {
    log(stream: 'stdout' | 'stderr', text: string) {
      if (text === '') return;
      seen.push([stream, text]);
      if (text.includes('first')) sawFirst();
    },
  };
  const shell = new ShellRuntime(defaultExecutorOptions());
  // é is 0xC3 0xA9: written one byte at a time, in two writes
  const command = `echo first; while [ ! -f ${go} ]; do sleep 0.02; done; printf '\\303'; printf '\\251\\n'; echo err >&2`;
  const running = shell.run(makeTask({ stepType: 'Shell', params: { command } }), never(), io);
  await first;
  t.deepEqual(seen, [['stdout', 'first\n']], 'only the first line before the gate opens');
  writeFileSync(go, '');
  const r = await running;
  t.is(r.status, 'SUCCEEDED');
  t.is(r.stdout, 'first\né\n');
  t.is(seen.filter(([s]) => s === 'stdout').map(([, x]) => x).join(''), 'first\né\n');
  t.deepEqual(seen.filter(([s]) => s === 'stderr'), [['stderr', 'err\n']]);
});

test('the publisher batches per stream with offsets, sends the end marker on close, and nothing for a silent attempt', (t) => {
  const sent: AttemptLogChunk[] = [];
  const transport = { publish: (topic: string, body: unknown) => (t.is(topic, TOPIC_ATTEMPT_LOG), sent.push(attemptLogChunk.parse(body))) };
  const p = new AttemptLogPublisher(transport, 'a/1/1/s/1', recordingLogger(), { flushMs: 60_000, maxBatchChars: 8 });
  p.log('stdout', 'abc');
  p.log('stderr', 'E');
  p.log('stdout', 'defgh'); // 8 chars pending: sent at once
  t.deepEqual(sent, [{ attemptId: 'a/1/1/s/1', stream: 'stdout', text: 'abcdefgh', offset: 0 }]);
  p.log('stdout', 'ij');
  p.close();
  p.log('stdout', 'late');
  t.deepEqual(sent.slice(1), [
    { attemptId: 'a/1/1/s/1', stream: 'stdout', text: 'ij', offset: 8 },
    { attemptId: 'a/1/1/s/1', stream: 'stderr', text: 'E', offset: 0, end: true },
  ]);
  const big: AttemptLogChunk[] = [];
  const b = new AttemptLogPublisher({ publish: (_t, x) => big.push(x as AttemptLogChunk) }, 'big', recordingLogger(), { flushMs: 60_000, maxBatchChars: 4 });
  b.log('stdout', '0123456789');
  b.close();
  t.deepEqual(big.map((c) => [c.stream, c.text, c.offset]), [['stdout', '0123', 0], ['stdout', '4567', 4], ['stdout', '89', 8], ['stderr', '', 0]], 'a write over the batch size goes in pieces');
  const silent: unknown[] = [];
  const q = new AttemptLogPublisher({ publish: (_t, b) => silent.push(b) }, 'x', recordingLogger());
  q.close();
  t.deepEqual(silent, []);
});

test('LiveLogs: a follower gets the snapshot then each new chunk once; duplicates and overlaps are trimmed; old attempts are dropped', (t) => {
  const live = new LiveLogs({ maxAttempts: 2, maxCharsPerStream: 6 });
  live.add({ attemptId: 'a', stream: 'stdout', text: 'hello\n', offset: 0 });
  const got: AttemptLogChunk[] = [];
  const f = live.follow('a', (c) => got.push(c));
  t.deepEqual(f.snapshot.stdout, { text: 'hello\n', end: 6, truncated: false });
  live.add({ attemptId: 'a', stream: 'stdout', text: 'hello\n', offset: 0 }); // a duplicate
  live.add({ attemptId: 'a', stream: 'stdout', text: 'o\nworld\n', offset: 4 }); // overlaps by 2
  live.add({ attemptId: 'a', stream: 'stderr', text: '', offset: 0, end: true });
  t.deepEqual(
    got.map((c) => [c.stream, c.text, c.offset, c.end === true]),
    [
      ['stdout', 'world\n', 6, false],
      ['stderr', '', 0, true],
    ],
  );
  const again = live.follow('a', () => {});
  t.deepEqual(again.snapshot.stdout, { text: 'world\n', end: 12, truncated: true }, 'only the last 6 chars are held');
  t.true(again.snapshot.ended);
  f.stop();
  again.stop();
  live.add({ attemptId: 'b', stream: 'stdout', text: 'b', offset: 0 });
  live.add({ attemptId: 'c', stream: 'stdout', text: 'c', offset: 0 });
  t.is(live.size, 2);
  t.is(live.follow('a', () => {}).snapshot.stdout.text, '', 'the least recently written attempt was dropped');
});

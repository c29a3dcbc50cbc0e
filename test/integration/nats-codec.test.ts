/** The pure parts of the NATS adapters (no server needed): subject tokens, error codec, frame fold. */
import test from 'ava';
import { MaestroError, NotFoundError, StaleEpochError, ValidationError } from '../../src/core/errors.js';
import { claimFrame, PartitionFold, recordsFrame, splitParts } from '../../src/journal/jetstream/frames.js';
import { decode, decodeError, encode, encodeError } from '../../src/nats/codec.js';
import { execSubject, fromToken, keyOfKv, kvKeyOf, tokenOf, topicSubject } from '../../src/nats/subjects.js';

const SUBJECT_TOKEN = /^[A-Za-z0-9_=-]+$/;
const KV_KEY = /^[-/=.\w]+$/;

test('any string maps to one valid subject token and back', (t) => {
  const samples = ['', 'plain', 'a.b', 'a b\tc', '*', '>', '=', '=3D', 'ümlaut', '日本', '🙂', 'wf/1', 'x=41', '-_'];
  const tokens = new Set<string>();
  for (const s of samples) {
    const tok = tokenOf(s);
    t.regex(tok, SUBJECT_TOKEN, `token of ${JSON.stringify(s)}`);
    t.is(fromToken(tok), s);
    tokens.add(tok);
  }
  t.is(tokens.size, samples.length, 'distinct strings give distinct tokens');
  t.throws(() => fromToken('a=ZZ'), { instanceOf: RangeError });
});

test('subjects: step types are case-insensitive; topics keep their dots as tokens', (t) => {
  t.is(execSubject('NoOp'), 'maestro.exec.noop');
  t.is(execSubject('noop'), execSubject('NOOP'));
  t.is(topicSubject('attempt.cancel'), 'maestro.topic.attempt.cancel');
  t.is(topicSubject('instance.wf-1/7'), 'maestro.topic.instance.wf-1=2F7');
  t.not(topicSubject('instance.a/1'), topicSubject('instance.a/10'));
});

test('KV keys: parts become tokens, and every key is a valid KV key that decodes back', (t) => {
  for (const key of ['', 'a', 'a/b', '/lead', 'trail/', 'a//b', 'dots.in.key/x', 'sp ace/ü']) {
    const k = kvKeyOf(key);
    t.regex(k, KV_KEY);
    t.false(k.startsWith('.') || k.endsWith('.'), k);
    t.is(keyOfKv(k), key);
  }
  t.is(kvKeyOf('wf/a.b/v'), 'wf.a=2Eb.v');
});

test('errors cross the wire as the same core classes, others keep name, kind and retryability', (t) => {
  const nf = decodeError(encodeError(new NotFoundError('no such instance')));
  t.true(nf instanceof NotFoundError);
  t.is(nf.message, 'no such instance');
  const ve = decodeError(encodeError(new ValidationError('steps[0].id', 'empty')));
  t.true(ve instanceof ValidationError);
  t.is((ve as ValidationError).path, 'steps[0].id');
  t.is(ve.message, 'steps[0].id: empty');
  t.true(decodeError(encodeError(new StaleEpochError('old'))) instanceof StaleEpochError);
  class CustomError extends MaestroError {
    override name = 'CustomError';
  }
  const custom = decodeError(encodeError(new CustomError('unavailable', 'busy', { retryable: true })));
  t.is(custom.name, 'CustomError');
  t.is(custom.kind, 'unavailable');
  t.true(custom.retryable);
  const plain = decodeError(encodeError(new TypeError('x is undefined')));
  t.is(plain.kind, 'internal');
  t.is(plain.name, 'TypeError');
  t.false(plain.retryable);
});

test('fold: a frame in parts applies only when whole; an interrupted one is dropped', (t) => {
  const frame = recordsFrame(1, [[{ instanceKey: 'wf/1', seq: 1, event: { big: 'x'.repeat(100) } }]]);
  const parts = splitParts(frame, 40);
  t.true(parts.length >= 3);
  const fold = new PartitionFold(0);
  fold.add({ seq: 1, epoch: 1, data: claimFrame(1) });
  // a writer died after its first two parts; a later writer (same epoch) wrote a whole frame
  fold.add({ seq: 2, epoch: 1, part: [0, parts.length], data: parts[0]! });
  fold.add({ seq: 3, epoch: 1, part: [1, parts.length], data: parts[1]! });
  fold.add({ seq: 4, epoch: 1, data: recordsFrame(1, [[{ instanceKey: 'wf/1', seq: 1, event: 'small' }]]) });
  parts.forEach((p, i) => fold.add({ seq: 10 + i, epoch: 1, part: [i, parts.length], data: p }));
  const records = fold.image().instances.get('wf/1')?.records ?? [];
  t.deepEqual(records.map((r) => r.event), ['small', { big: 'x'.repeat(100) }]);
});

test('fold: messages below the highest epoch seen are ignored; the image epoch is the highest', (t) => {
  const fold = new PartitionFold(3);
  fold.add({ seq: 1, epoch: 2, data: claimFrame(2) });
  fold.add({ seq: 2, epoch: 1, data: recordsFrame(1, [[{ instanceKey: 'wf/s', seq: 1, event: 'stale' }]]) });
  fold.add({ seq: 3, epoch: 2, data: recordsFrame(2, [[{ instanceKey: 'wf/s', seq: 1, event: 'ok' }]]) });
  const image = fold.image();
  t.is(image.epoch, 2);
  t.deepEqual(image.instances.get('wf/s')?.records.map((r) => r.event), ['ok']);
});

test('decoding refuses msgpackr structured-clone references (cycles) from the wire', async (t) => {
  const { Packr } = await import('msgpackr');
  const cyclic: Record<string, unknown> = { a: 1 };
  cyclic['self'] = cyclic;
  const bytes = new Packr({ structuredClone: true }).pack(cyclic);
  t.throws(() => decode(bytes), { message: /Structured clone extension is disabled/ });
  t.deepEqual(decode(encode({ a: [1, 'x'], d: new Date(5) })), { a: [1, 'x'], d: new Date(5) });
});

import test from 'ava';
import { encode } from '../../src/nats/codec.js';
import { BadFrame, claimFrame, encodeSnapshots, PartitionFold, recordsFrame, snapshotFrame } from '../../src/journal/jetstream/frames.js';

function fold(...frames: Uint8Array[]): PartitionFold {
  const f = new PartitionFold(3);
  frames.forEach((data, i) => f.add({ seq: i + 1, epoch: 1, data }));
  return f;
}

test('well-formed frames fold into the image', (t) => {
  const records = [{ instanceKey: 'wf/1', seq: 1, event: { t: 'started', at: new Date(5) } }];
  const image = fold(claimFrame(1), recordsFrame(1, [records])).image();
  t.deepEqual(image.instances.get('wf/1')?.records, records);
  const snap = fold(snapshotFrame(1, [encodeSnapshots([{ instanceKey: 'wf/1', seq: 1, state: { s: 1 } }])], [])).image();
  t.deepEqual(snap.instances.get('wf/1')?.snapshot, { instanceKey: 'wf/1', seq: 1, state: { s: 1 } });
});

test('each kind of garbage is a BadFrame naming what is wrong, never a silent skip', (t) => {
  const bad = (data: Uint8Array, message: RegExp) => t.throws(() => fold(data), { instanceOf: BadFrame, message });
  bad(new Uint8Array([0x92, 0x01]), /undecodable frame/);
  bad(encode('hello'), /not a frame \(kind missing\)/);
  bad(encode({ k: 'x', e: 1 }), /not a frame \(kind "x"\)/);
  bad(encode({ k: 'c' }), /claim frame: e: is missing/);
  bad(encode({ k: 'c', e: 1.5 }), /claim frame: e: expected integer/);
  bad(encode({ k: 'a', e: 1, r: 'records' }), /records frame: r: expected array/);
  bad(encode({ k: 'a', e: 1, r: [['wf/1', 'two', {}]] }), /records frame: r\[0\]\[1\]: expected integer, got "two"/);
  bad(encode({ k: 'a', e: 1, r: [['wf/1', -1, {}]] }), /r\[0\]\[1\]: expected integer to be greater or equal to 0/);
  bad(encode({ k: 'a', e: 1, r: [['', 1, {}]] }), /r\[0\]\[0\]: expected string length greater or equal to 1/);
  bad(encode({ k: 's', e: 1, s: 'nope', r: [] }), /snapshot frame: s: /);
  bad(encode({ k: 's', e: 1, s: [encode({ not: 'entries' })], r: [] }), /snapshot entries: expected array/);
});

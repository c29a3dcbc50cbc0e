import test from 'ava';
import { ValidationError } from '../../src/core/errors.js';
import { assignPartitions, countMoved, DEFAULT_PARTITIONS } from '../../src/cluster/placement.js';

const three = ['node-a', 'node-b', 'node-c'];
const four = [...three, 'node-d'];

function counts(map: readonly string[]): Map<string, number> {
  const c = new Map<string, number>();
  for (const id of map) c.set(id, (c.get(id) ?? 0) + 1);
  return c;
}

test('the map is a fixed function of the member set (stable across processes and releases)', (t) => {
  // Golden vector: every node of a cluster, whatever its version, must compute exactly this.
  t.deepEqual(assignPartitions(three, 16), [
    'node-c', 'node-c', 'node-b', 'node-a', 'node-b', 'node-c', 'node-b', 'node-c',
    'node-a', 'node-c', 'node-c', 'node-c', 'node-a', 'node-b', 'node-c', 'node-b',
  ]);
});

test('order and duplicates of member ids do not change the map', (t) => {
  const base = assignPartitions(three, DEFAULT_PARTITIONS);
  t.deepEqual(assignPartitions(['node-c', 'node-a', 'node-b'], DEFAULT_PARTITIONS), base);
  t.deepEqual(assignPartitions(['node-b', 'node-b', 'node-c', 'node-a', 'node-c'], DEFAULT_PARTITIONS), base);
  t.is(base.length, DEFAULT_PARTITIONS);
  t.true(base.every((id) => three.includes(id)));
});

test('every member gets a fair share of 256 partitions', (t) => {
  for (const ids of [three, four, ['10.0.0.1:7000', '10.0.0.2:7000', '10.0.0.3:7000']]) {
    const c = counts(assignPartitions(ids, 256));
    const fair = 256 / ids.length;
    for (const id of ids) {
      const n = c.get(id) ?? 0;
      t.true(n > fair * 0.6 && n < fair * 1.45, `${id} owns ${n} of 256 with ${ids.length} members`);
    }
  }
});

test('3 -> 4 members moves about 1/4 of the partitions, all to the new member', (t) => {
  const before = assignPartitions(three, 256);
  const after = assignPartitions(four, 256);
  const moved = countMoved(before, after);
  t.true(moved >= 40 && moved <= 90, `moved ${moved} of 256 (ideal 64)`);
  for (let p = 0; p < 256; p++) {
    if (before[p] !== after[p]) t.is(after[p], 'node-d', `partition ${p} moved between old members`);
  }
});

test('4 -> 3 members moves exactly the leaver\'s partitions, spread over the rest', (t) => {
  const before = assignPartitions(four, 256);
  const after = assignPartitions(['node-a', 'node-c', 'node-d'], 256);
  const leaverShare = before.filter((id) => id === 'node-b').length;
  t.is(countMoved(before, after), leaverShare);
  t.true(leaverShare >= 40 && leaverShare <= 90, `node-b owned ${leaverShare}`);
  const receivers = new Set<string>();
  for (let p = 0; p < 256; p++) {
    if (before[p] === 'node-b') receivers.add(after[p]!);
    else t.is(after[p], before[p], `partition ${p} moved although its owner stayed`);
  }
  t.deepEqual([...receivers].sort(), ['node-a', 'node-c', 'node-d']);
});

test('movement stays near 1/(N+1) over many random clusters', (t) => {
  let total = 0;
  const runs = 50;
  for (let r = 0; r < runs; r++) {
    const ids = [0, 1, 2].map((i) => `n-${r}-${i}`);
    total += countMoved(assignPartitions(ids, 256), assignPartitions([...ids, `n-${r}-new`], 256));
  }
  const mean = total / runs;
  t.true(mean > 56 && mean < 72, `mean moved ${mean} (ideal 64)`);
});

test('bad inputs are rejected naming the field', (t) => {
  for (const bad of [0, -1, 1.5, 65537, Number.NaN]) {
    const err = t.throws(() => assignPartitions(three, bad), { instanceOf: ValidationError });
    t.is(err?.path, 'partitions');
    t.regex(err?.message ?? '', /1 to 65536/);
  }
  const err = t.throws(() => assignPartitions([], 8), { instanceOf: ValidationError });
  t.is(err?.path, 'memberIds');
  t.throws(() => countMoved(['a'], ['a', 'b']), { instanceOf: ValidationError });
});

test('one member owns everything; a single partition has one owner', (t) => {
  t.deepEqual(assignPartitions(['solo'], 4), ['solo', 'solo', 'solo', 'solo']);
  t.is(assignPartitions(three, 1).length, 1);
});

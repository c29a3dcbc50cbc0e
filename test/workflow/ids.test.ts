/** Instance and step UUIDs: random version-4 UUIDs (122 random bits); no collisions in 1,000,000. */
import test from 'ava';
import { newUuid } from '../../src/workflow/ids.js';

const V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

test('1,000,000 generated ids: zero collisions, all version-4 UUIDs', (t) => {
  const seen = new Set<string>();
  for (let i = 0; i < 1_000_000; i++) {
    const id = newUuid();
    if (!V4.test(id)) t.fail(`not a v4 uuid: ${id}`);
    seen.add(id);
  }
  t.is(seen.size, 1_000_000);
});

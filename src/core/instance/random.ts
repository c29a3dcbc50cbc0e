/**
 * Deterministic randomness for replay: a splitmix32 stream seeded from the instance key and the
 * journal seq of the event being applied, and UUIDs drawn from it.
 */
export function seededRandom(seedText: string): () => number {
  let h = 0x811c9dc5;
  for (let i = 0; i < seedText.length; i++) {
    h ^= seedText.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  let s = h >>> 0;
  return () => {
    s = (s + 0x9e3779b9) | 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return ((z ^ (z >>> 16)) >>> 0) / 4294967296;
  };
}

export function uuidFrom(random: () => number): string {
  const word = () => (Math.floor(random() * 4294967296) >>> 0).toString(16).padStart(8, '0');
  const a = word();
  const b = word();
  const c = word();
  const d = word();
  const v = ((parseInt(b[4]!, 16) & 0x3) | 0x8).toString(16);
  return `${a}-${b.slice(0, 4)}-4${b.slice(5, 8)}-${v}${c.slice(1, 4)}-${c.slice(4, 8)}${d}`;
}

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

const HEX_CODES = Array.from('0123456789abcdef', (c) => c.charCodeAt(0));
const DASH = '-'.charCodeAt(0);
/** Char codes of one uuid, reused: String.fromCharCode over it gives a flat string at once. */
const codes: number[] = new Array<number>(36).fill(DASH);

export function uuidFrom(random: () => number): string {
  for (let word = 0, at = 0; word < 4; word++) {
    let w = Math.floor(random() * 4294967296) >>> 0;
    if (word === 1) w = (w & 0xffff0fff) | 0x00004000; // version 4 (byte 6)
    if (word === 2) w = (w & 0x3fffffff) | 0x80000000; // variant 10 (byte 8)
    for (let shift = 28; shift >= 0; shift -= 4) {
      if (at === 8 || at === 13 || at === 18 || at === 23) at++;
      codes[at++] = HEX_CODES[(w >>> shift) & 15]!;
    }
  }
  return String.fromCharCode.apply(null, codes);
}

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

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export function uuidFrom(random: () => number): string {
  const b: number[] = [];
  for (let i = 0; i < 4; i++) {
    const w = Math.floor(random() * 4294967296) >>> 0;
    b.push(w >>> 24, (w >>> 16) & 255, (w >>> 8) & 255, w & 255);
  }
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  // joined once: a flat string (concatenation would keep a tree of ~20 cons strings alive)
  const parts: string[] = [];
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) parts.push('-');
    parts.push(HEX[b[i]!]!);
  }
  return parts.join('');
}

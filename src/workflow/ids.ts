/**
 * Instance and step-instance UUIDs. Each instance gets a 128-bit random seed when it starts
 * (`newIdSeed`, journaled in the `started` event); every id is then the SHA-256 of (seed, event
 * seq, counter) shaped as a version-4 UUID: 122 bits that are random to anyone without the seed.
 * The machine (core, which uses no platform module) gets `derivedUuid` through its context and
 * records each id as a decision, so a replay never derives one again.
 */
import { createHash, randomBytes } from 'node:crypto';

export function newIdSeed(): string {
  return randomBytes(16).toString('hex');
}

const HEX = '0123456789abcdef';

export function derivedUuid(seed: string, seq: number, n: number): string {
  const b = createHash('sha256').update(`${seed}:${seq}:${n}`).digest();
  b[6] = (b[6]! & 0x0f) | 0x40; // version 4
  b[8] = (b[8]! & 0x3f) | 0x80; // variant 10
  let s = '';
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) s += '-';
    s += HEX[b[i]! >> 4]! + HEX[b[i]! & 15]!;
  }
  return s;
}

/**
 * Java library behaviour that Maestro's time triggers depend on, reproduced bit for bit so that
 * the ids and jitters we derive equal Maestro's:
 * - `UUID.nameUUIDFromBytes(s.getBytes(UTF_8))` (Maestro's IdHelper.createUuid): an MD5-based
 *   (type 3) UUID;
 * - `new java.util.Random(seed).nextInt(bound)`: the 48-bit linear congruential generator.
 * Pure code (core uses no `node:` modules), so MD5 is implemented here.
 */

/** MD5 of `bytes` (RFC 1321). */
export function md5(bytes: Uint8Array): Uint8Array {
  const len = bytes.length;
  const blocks = ((len + 8) >>> 6) + 1;
  const words = new Uint32Array(blocks * 16);
  for (let i = 0; i < len; i++) words[i >>> 2]! |= bytes[i]! << ((i % 4) * 8);
  words[len >>> 2]! |= 0x80 << ((len % 4) * 8);
  const bitLen = len * 8;
  words[blocks * 16 - 2] = bitLen >>> 0;
  words[blocks * 16 - 1] = Math.floor(bitLen / 0x100000000) >>> 0;
  let a0 = 0x67452301;
  let b0 = 0xefcdab89;
  let c0 = 0x98badcfe;
  let d0 = 0x10325476;
  for (let blk = 0; blk < blocks; blk++) {
    let a = a0;
    let b = b0;
    let c = c0;
    let d = d0;
    for (let i = 0; i < 64; i++) {
      let f: number;
      let g: number;
      if (i < 16) {
        f = (b & c) | (~b & d);
        g = i;
      } else if (i < 32) {
        f = (d & b) | (~d & c);
        g = (5 * i + 1) % 16;
      } else if (i < 48) {
        f = b ^ c ^ d;
        g = (3 * i + 5) % 16;
      } else {
        f = c ^ (b | ~d);
        g = (7 * i) % 16;
      }
      const sum = (a + f + K[i]! + words[blk * 16 + g]!) | 0;
      a = d;
      d = c;
      c = b;
      b = (b + ((sum << S[i]!) | (sum >>> (32 - S[i]!)))) | 0;
    }
    a0 = (a0 + a) | 0;
    b0 = (b0 + b) | 0;
    c0 = (c0 + c) | 0;
    d0 = (d0 + d) | 0;
  }
  const out = new Uint8Array(16);
  [a0, b0, c0, d0].forEach((w, i) => {
    for (let j = 0; j < 4; j++) out[i * 4 + j] = (w >>> (j * 8)) & 0xff;
  });
  return out;
}

const S = [
  7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11,
  16, 23, 4, 11, 16, 23, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21,
];
const K = Array.from({ length: 64 }, (_, i) => Math.floor(Math.abs(Math.sin(i + 1)) * 0x100000000) >>> 0);

/** A Java UUID: its text form and its least significant 64 bits (signed, as `getLeastSignificantBits`). */
export interface JavaUuid {
  text: string;
  lsb: bigint;
}

/** `UUID.nameUUIDFromBytes(input.getBytes(UTF_8))`. */
export function javaNameUuid(input: string): JavaUuid {
  const b = md5(new TextEncoder().encode(input));
  b[6] = (b[6]! & 0x0f) | 0x30;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const hex = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  const text = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  return { text, lsb: BigInt.asIntN(64, BigInt(`0x${hex.slice(16)}`)) };
}

const MULTIPLIER = 0x5deece66dn;
const MASK = (1n << 48n) - 1n;

/** `java.util.Random`: the same sequence for the same seed. */
export class JavaRandom {
  private seed: bigint;

  constructor(seed: bigint) {
    this.seed = (BigInt.asIntN(64, seed) ^ MULTIPLIER) & MASK;
  }

  private next(bits: number): number {
    this.seed = (this.seed * MULTIPLIER + 0xbn) & MASK;
    return Number(BigInt.asIntN(32, this.seed >> BigInt(48 - bits)));
  }

  /** `nextInt()`: any int. */
  nextInt(): number;
  /** `nextInt(bound)`: in [0, bound); bound must be positive (Java throws IllegalArgumentException). */
  nextInt(bound: number): number;
  nextInt(bound?: number): number {
    if (bound === undefined) return this.next(32);
    if (!Number.isInteger(bound) || bound <= 0 || bound > 0x7fffffff) throw new RangeError(`bound must be a positive int, got ${bound}`);
    let r = this.next(31);
    const m = bound - 1;
    if ((bound & m) === 0) return Number((BigInt(bound) * BigInt(r)) >> 31n);
    // Java: `for (int u = r; u - (r = u % bound) + m < 0; u = next(31));` — the int sum overflows
    // (goes negative) exactly when it exceeds Integer.MAX_VALUE.
    let u = r;
    for (;;) {
      r = u % bound;
      if (u - r + m <= 0x7fffffff) return r;
      u = this.next(31);
    }
  }
}

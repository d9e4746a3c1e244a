import { deepEqual, equal, notDeepEqual, ok, throws } from "node:assert/strict";
import fc from "fast-check";
import { Philox, philox4x32 } from "./philox.ts";

// Random123 tests/kat_vectors, the three "philox4x32 10" lines (counter, key, expected).
const KAT: [number[], number[], number[]][] = [
  [[0, 0, 0, 0], [0, 0], [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]],
  [
    [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff],
    [0xffffffff, 0xffffffff],
    [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd],
  ],
  [
    [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344],
    [0xa4093822, 0x299f31d0],
    [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1],
  ],
];

Deno.test("philox4x32-10 matches the Random123 known-answer vectors", () => {
  for (const [ctr, key, want] of KAT) deepEqual([...philox4x32(ctr, key)], want);
});

Deno.test("Philox(seed 0, stream 0) starts with the all-zero known answer", () => {
  const g = new Philox(0);
  deepEqual([g.nextUint32(), g.nextUint32(), g.nextUint32(), g.nextUint32()], KAT[0][2]);
});

Deno.test("Philox maps seed and stream to key and counter words", () => {
  const [ctr, key, want] = KAT[2];
  // key words = seed low/high; counter words 2,3 = stream low/high; block 0.
  const seed = (BigInt(key[1]) << 32n) | BigInt(key[0]);
  const stream = (BigInt(ctr[3]) << 32n) | BigInt(ctr[2]);
  const g = new Philox(seed, stream);
  const first = g.fillUint32(new Uint32Array(4));
  deepEqual([...first], [...philox4x32([0, 0, ctr[2], ctr[3]], key)]);
  notDeepEqual([...first], want); // different low counter words than the vector
});

Deno.test("seek gives the same outputs as sequential draws", () => {
  const seq = new Philox(123, 7).fillUint32(new Uint32Array(40));
  for (const pos of [0, 1, 3, 4, 5, 17, 39]) {
    const g = new Philox(123, 7);
    g.seek(pos);
    equal(g.position, pos);
    equal(g.nextUint32(), seq[pos], `position ${pos}`);
  }
});

Deno.test("same seed gives the same stream; streams and seeds differ", () => {
  const a = new Philox(2024).fillUniform(new Float64Array(100));
  const b = new Philox(2024).fillUniform(new Float64Array(100));
  deepEqual(a, b);
  notDeepEqual(a, new Philox(2025).fillUniform(new Float64Array(100)));
  notDeepEqual(a, new Philox(2024, 1).fillUniform(new Float64Array(100)));
});

Deno.test("uniforms pass a chi-square test for 64 equal bins", () => {
  const n = 64000, bins = new Float64Array(64);
  const u = new Philox(99).fillUniform(new Float32Array(n));
  for (const v of u) bins[Math.floor(v * 64)]++;
  const e = n / 64;
  const chi2 = bins.reduce((s, o) => s + (o - e) ** 2 / e, 0);
  ok(chi2 < 103.4, `chi2 = ${chi2} (63 dof, 0.1% critical value 103.4)`);
  ok(u.every((v) => v >= 0 && v < 1));
});

Deno.test("uniform() uses 53 bits and stays below 1", () => {
  const g = new Philox(5);
  for (let i = 0; i < 1000; i++) {
    const v = g.uniform();
    ok(v >= 0 && v < 1);
    ok(Number.isInteger(v * 2 ** 53));
  }
});

Deno.test("mulhi via philox agrees with BigInt arithmetic (one round checked by property)", () => {
  // One Philox round computed with BigInt must equal the first round of our implementation,
  // which we isolate by comparing a 10-round BigInt reference on random counters and keys.
  const ref = (c: number[], k: number[]) => {
    let [c0, c1, c2, c3] = c.map(BigInt);
    let [k0, k1] = k.map(BigInt);
    const m = 0xffffffffn;
    for (let r = 0; r < 10; r++) {
      const p0 = 0xd2511f53n * c0, p1 = 0xcd9e8d57n * c2;
      [c0, c1, c2, c3] = [((p1 >> 32n) ^ c1 ^ k0) & m, p1 & m, ((p0 >> 32n) ^ c3 ^ k1) & m, p0 & m];
      k0 = (k0 + 0x9e3779b9n) & m;
      k1 = (k1 + 0xbb67ae85n) & m;
    }
    return [c0, c1, c2, c3].map(Number);
  };
  const u32 = fc.integer({ min: 0, max: 0xffffffff });
  fc.assert(
    fc.property(
      fc.array(u32, { minLength: 4, maxLength: 4 }),
      fc.array(u32, { minLength: 2, maxLength: 2 }),
      (c, k) => {
        deepEqual([...philox4x32(c, k)], ref(c, k));
      },
    ),
    { numRuns: 500, seed: 3 },
  );
});

Deno.test("split children are reproducible and distinct", () => {
  const r1 = new Philox(77), r2 = new Philox(77);
  const a1 = r1.split().fillUint32(new Uint32Array(8));
  const a2 = r2.split().fillUint32(new Uint32Array(8));
  deepEqual(a1, a2);
  notDeepEqual(a1, r1.split().fillUint32(new Uint32Array(8)));
});

Deno.test("bad seeds and positions are RangeErrors naming the argument", () => {
  throws(() => new Philox(-1), /seed/);
  throws(() => new Philox(1.5), RangeError);
  throws(() => new Philox(1n << 64n), /seed/);
  throws(() => new Philox(0, -2), /stream/);
  throws(() => new Philox(0).seek(-1), /position/);
});

Deno.test("fillNormal: Box–Muller moments (mean, variance, 4th moment 3) and P(|z| < 1.96) ≈ 0.95", () => {
  const z = new Philox(11, 2).fillNormal(new Float64Array(200_001));
  const n = z.length;
  const mean = z.reduce((a, v) => a + v, 0) / n;
  const m2 = z.reduce((a, v) => a + (v - mean) ** 2, 0) / n;
  const m4 = z.reduce((a, v) => a + (v - mean) ** 4, 0) / n;
  if (Math.abs(mean) > 4 / Math.sqrt(n)) throw new Error(`mean ${mean}`);
  if (Math.abs(m2 - 1) > 4 * Math.sqrt(2 / n)) throw new Error(`variance ${m2}`);
  if (Math.abs(m4 / (m2 * m2) - 3) > 4 * Math.sqrt(96 / n)) {
    throw new Error(`kurtosis ${m4 / m2 ** 2}`);
  }
  const inside = z.filter((v) => Math.abs(v) < 1.959963984540054).length / n;
  if (Math.abs(inside - 0.95) > 4 * Math.sqrt(0.95 * 0.05 / n)) {
    throw new Error(`coverage ${inside}`);
  }
  // seeded: the same stream gives the same numbers, Float32 and Float64 alike
  const a = new Philox(5).fillNormal(new Float32Array(9)),
    b = new Philox(5).fillNormal(new Float64Array(9));
  a.forEach((v, i) => {
    if (v !== Math.fround(b[i])) throw new Error(`element ${i}: ${v} vs ${b[i]}`);
  });
});

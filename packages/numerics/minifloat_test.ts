import { deepEqual, equal, ok, throws } from "node:assert/strict";
import fc from "fast-check";
import { Philox } from "@lowbit/rounding/philox";
import { ROUNDING_MODES } from "@lowbit/rounding/modes";
import { type FloatFormat, minifloat } from "./minifloat.ts";
import {
  BF16,
  FP16,
  FP4_E2M1,
  FP6_E2M3,
  FP6_E3M2,
  FP8_E4M3FN,
  FP8_E4M3FNUZ,
  FP8_E5M2,
  FP8_E5M2FNUZ,
  TF32,
} from "./formats.ts";

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
const fromBits = (u: number) => {
  u32[0] = u;
  return f32[0];
};
const toBits = (x: number) => {
  f32[0] = x;
  return u32[0];
};

/** Formats up to 16 bits, with generic extras of every family. */
const SMALL: FloatFormat[] = [
  FP16,
  BF16,
  FP8_E4M3FN,
  FP8_E5M2,
  FP8_E4M3FNUZ,
  FP8_E5M2FNUZ,
  FP6_E3M2,
  FP6_E2M3,
  FP4_E2M1,
  minifloat({ exponentBits: 3, mantissaBits: 4, finite: "fn" }),
  minifloat({ exponentBits: 6, mantissaBits: 9 }),
  minifloat({ exponentBits: 2, mantissaBits: 2 }),
  minifloat({ exponentBits: 1, mantissaBits: 3, finite: "all" }),
  minifloat({ exponentBits: 4, mantissaBits: 3, bias: 11, finite: "fnuz" }),
];

/**
 * Independent decode: builds the float32 bit pattern field by field (normalising subnormals by
 * shifting), instead of the arithmetic formula the library uses.
 */
function decodeByBits(f: FloatFormat, p: number): number {
  const e = f.exponentBits, m = f.mantissaBits;
  const s = (p >>> (e + m)) & 1;
  const E = (p >>> m) & ((1 << e) - 1);
  let M = p & ((1 << m) - 1);
  const allOnesE = E === (1 << e) - 1;
  if (f.finite === "ieee" && allOnesE) return M === 0 ? (s ? -Infinity : Infinity) : NaN;
  if (f.finite === "fn" && allOnesE && M === (1 << m) - 1) return NaN;
  if (f.finite === "fnuz" && s === 1 && E === 0 && M === 0) return NaN;
  if (E === 0 && M === 0) return s ? -0 : 0;
  let exp = E - f.bias; // unbiased exponent of a normal
  if (E === 0) {
    const shift = 150 - f.bias - m; // M·2^(1−bias−m) as a float32 subnormal M'·2^−149
    if (shift <= 23 - m) return fromBits(((s << 31) | (M << shift)) >>> 0);
    exp = 1 - f.bias;
    while ((M & (1 << m)) === 0) { // shift the leading 1 into the hidden-bit position
      M <<= 1;
      exp--;
    }
    M &= (1 << m) - 1;
  }
  return fromBits(((s << 31) | ((exp + 127) << 23) | (M << (23 - m))) >>> 0);
}

function sameValue(a: number, b: number): boolean {
  return Number.isNaN(a) ? Number.isNaN(b) : Object.is(a, b);
}

Deno.test("decode: every pattern of every ≤16-bit format matches a field-by-field bit cast", () => {
  for (const f of SMALL) {
    const all = new Uint16Array(2 ** f.bits).map((_, i) => i);
    const arr = f.decodeArray(all);
    for (let p = 0; p < 2 ** f.bits; p++) {
      const want = decodeByBits(f, p);
      ok(sameValue(f.decode(p), want), `${f.name} 0x${p.toString(16)}: ${f.decode(p)} vs ${want}`);
      ok(sameValue(arr[p], want), `${f.name} decodeArray 0x${p.toString(16)}`);
    }
  }
});

Deno.test("FP16 decode of all 65,536 patterns equals the native Float16Array", () => {
  const bits = new Uint16Array(65536).map((_, i) => i);
  const native = new Float16Array(bits.buffer);
  for (let p = 0; p < 65536; p++) ok(sameValue(FP16.decode(p), native[p]), `0x${p.toString(16)}`);
});

Deno.test("published constants (IEEE 754, OCP OFP8 rev 1.0, OCP MX v1.0 §5.3)", () => {
  const table: [FloatFormat, number, number, number][] = [
    // format, max, min normal, min subnormal
    [FP16, 65504, 2 ** -14, 2 ** -24],
    [BF16, 3.3895313892515355e38, 2 ** -126, 2 ** -133],
    [TF32, 3.4011621342146535e38, 2 ** -126, 2 ** -136],
    [FP8_E4M3FN, 448, 2 ** -6, 2 ** -9],
    [FP8_E5M2, 57344, 2 ** -14, 2 ** -16],
    [FP8_E4M3FNUZ, 240, 2 ** -7, 2 ** -10],
    [FP8_E5M2FNUZ, 57344, 2 ** -15, 2 ** -17],
    [FP6_E3M2, 28, 0.25, 0.0625],
    [FP6_E2M3, 7.5, 1, 0.125],
    [FP4_E2M1, 6, 1, 0.5],
  ];
  for (const [f, max, minN, minS] of table) {
    equal(f.max, max, `${f.name} max`);
    equal(f.minNormal, minN, `${f.name} minNormal`);
    equal(f.minSubnormal, minS, `${f.name} minSubnormal`);
  }
  deepEqual([...FP4_E2M1.values()], [0, 0.5, 1, 1.5, 2, 3, 4, 6]);
  // OCP OFP8 Table 1: E4M3 NaN S.1111.111, E5M2 inf S.11111.00, NaN S.11111.{01,10,11}.
  ok(Number.isNaN(FP8_E4M3FN.decode(0x7f)) && Number.isNaN(FP8_E4M3FN.decode(0xff)));
  equal(FP8_E5M2.decode(0xfc), -Infinity);
  for (const p of [0x7d, 0x7e, 0x7f]) ok(Number.isNaN(FP8_E5M2.decode(p)));
  equal(FP8_E5M2FNUZ.decode(0x7f), 57344);
  equal(FP8_E4M3FNUZ.decode(0x7f), 240);
  equal(FP16.epsilon, 2 ** -10);
  equal(BF16.epsilon, 2 ** -7);
  // FP6 E2M3: all 32 non-negative values are k/8 for k = 0..15, then 2 + k/4, 4 + k/2.
  const e2m3 = [...Array(16).keys()].map((k) => k / 8)
    .concat([...Array(8).keys()].map((k) => 2 + k / 4), [...Array(8).keys()].map((k) => 4 + k / 2));
  deepEqual([...FP6_E2M3.values()], e2m3);
});

/** Float32 values around every FP16 value: the value, midpoints to its neighbour, ±1 ulp. */
function fp16Probes(): Float32Array {
  const out: number[] = [];
  for (let p = 0; p < 0x7c00; p++) {
    const a = FP16.decode(p), b = FP16.decode(p + 1);
    const mid = (a + b) / 2; // exact in float32
    const mb = toBits(mid);
    out.push(a, -a, mid, -mid, fromBits(mb + 1), fromBits(mb - 1), -fromBits(mb + 1));
  }
  out.push(Infinity, -Infinity, NaN, -0, 2 ** -26, 2 ** -25, 3 * 2 ** -26, 1e-30, 1e30);
  return Float32Array.from(out);
}

Deno.test("FP16 encode equals native Float16Array on all values, all ties, and ties ± 1 ulp", () => {
  const src = fp16Probes();
  const native = new Uint16Array(new Float16Array(src).buffer);
  const fast = FP16.encodeArray(src);
  for (let i = 0; i < src.length; i++) {
    const scalar = FP16.encode(src[i]);
    if (Number.isNaN(src[i])) {
      ok(Number.isNaN(FP16.decode(fast[i])) && Number.isNaN(FP16.decode(scalar)));
      continue;
    }
    equal(fast[i], native[i], `encodeArray ${src[i]}`);
    equal(scalar, native[i], `encode ${src[i]}`);
  }
});

Deno.test("FP16: every tie between neighbouring values rounds to the even pattern", () => {
  for (let p = 0; p < 0x7bff; p++) {
    const mid = (FP16.decode(p) + FP16.decode(p + 1)) / 2;
    const even = p % 2 === 0 ? p : p + 1;
    equal(FP16.encode(mid), even, `tie after 0x${p.toString(16)}`);
    equal(FP16.encode(-mid), even | 0x8000);
  }
  equal(FP16.encode(65520), 0x7c00); // tie above max: 0x7bff is odd, so it overflows
});

Deno.test("FP16 from binary64 rounds once (agrees with native Math.f16round on doubles)", () => {
  fc.assert(
    fc.property(fc.double({ min: -70000, max: 70000, noNaN: true }), (x) => {
      ok(Object.is(FP16.round(x), Math.f16round(x)), `x=${x}`);
    }),
    { numRuns: 20000, seed: 7 },
  );
  // A double just above a tie: rounding to float32 first would create a false tie.
  const x = 1 + 2 ** -11 + 2 ** -40;
  equal(FP16.round(x), 1 + 2 ** -10);
  equal(Math.f16round(x), 1 + 2 ** -10);
});

Deno.test("FP16 array kernels equal native on 1,000,000 seeded random float32 bit patterns", () => {
  const src = new Float32Array(1_000_000);
  new Philox(16).fillUint32(new Uint32Array(src.buffer));
  const native = new Uint16Array(new Float16Array(src).buffer);
  const fast = FP16.encodeArray(src);
  const ts = FP16.encodeArray(src, { kernel: "ts" });
  for (let i = 0; i < src.length; i++) {
    // NaNs included: the canonical quiet NaN with the input's sign, like the native path.
    if (fast[i] !== native[i]) equal(fast[i], native[i], `bits 0x${toBits(src[i]).toString(16)}`);
    if (ts[i] !== native[i]) equal(ts[i], native[i], `ts: bits 0x${toBits(src[i]).toString(16)}`);
  }
});

Deno.test("BF16 and TF32 follow the round-half-even bit formula on random and special inputs", () => {
  const src = new Float32Array(300_000);
  new Philox(17).fillUint32(new Uint32Array(src.buffer));
  src.set([0, -0, Infinity, -Infinity, 3.3895313892515355e38, 3.39e38, 1e-45, -1e-40], 0);
  const bf = BF16.encodeArray(src), tf = TF32.encodeArray(src);
  for (let i = 0; i < src.length; i++) {
    const u = toBits(src[i]);
    if (Number.isNaN(src[i])) {
      ok(Number.isNaN(BF16.decode(bf[i])) && Number.isNaN(TF32.decode(tf[i])));
      continue;
    }
    const wantBf = Math.floor((u + 0x7fff + ((u >>> 16) & 1)) / 65536);
    const wantTf = (Math.floor((u + 0xfff + ((u >>> 13) & 1)) / 8192) * 8192) >>> 0;
    equal(bf[i], wantBf, `bf16 0x${u.toString(16)}`);
    equal(tf[i], wantTf, `tf32 0x${u.toString(16)}`);
    if (i < 2000) {
      equal(BF16.encode(src[i]), wantBf);
      equal(TF32.encode(src[i]), wantTf);
    }
  }
  for (let p = 0; p < 65536; p++) {
    ok(sameValue(BF16.decode(p), fromBits(p * 65536)), `bf16 0x${p.toString(16)}`);
  }
  throws(() => TF32.decode(0x3f800001), /low 13 bits zero/);
});

Deno.test("fast float32 path equals the scalar encoder for every format, mode of overflow and input", () => {
  const src = new Float32Array(60_000);
  new Philox(18).fillUint32(new Uint32Array(src.buffer));
  // Also dense probes around each format's values and the overflow threshold.
  for (const f of SMALL) {
    const probes: number[] = [];
    const vals = f.values();
    for (let i = 0; i + 1 < vals.length; i++) {
      const mid = Math.fround((vals[i] + vals[i + 1]) / 2);
      const mb = toBits(mid);
      probes.push(mid, fromBits(mb + 1), fromBits(mb - 1), vals[i], -mid);
    }
    const top = vals[vals.length - 1];
    probes.push(top * 1.01, top * 2, top + f.epsilon * top / 4, Infinity, -Infinity, 0, -0);
    const all = Float32Array.from([...src.filter((x) => !Number.isNaN(x)), ...probes]);
    for (const saturate of [false, true]) {
      const fast = f.encodeArray(all, { saturate });
      for (let i = 0; i < all.length; i++) {
        const want = f.encode(all[i], { saturate });
        if (fast[i] !== want) equal(fast[i], want, `${f.name} sat=${saturate} x=${all[i]}`);
      }
    }
  }
});

/** Reference rounding by search over the sorted value list (no bit tricks). */
const valueCache = new Map<FloatFormat, Float64Array>();
function nearestBySearch(f: FloatFormat, x: number): number {
  let vals = valueCache.get(f);
  if (!vals) valueCache.set(f, vals = f.values());
  const a = Math.abs(x);
  let lo = 0, hi = vals.length - 1;
  if (a >= vals[hi]) return vals[hi];
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (vals[mid] <= a) lo = mid;
    else hi = mid;
  }
  const dl = a - vals[lo], dh = vals[hi] - a;
  // Ties: the value whose pattern is even (positive patterns are indices into values()).
  const pick = dl < dh ? vals[lo] : dh < dl ? vals[hi] : (lo % 2 === 0 ? vals[lo] : vals[hi]);
  return pick;
}

Deno.test("round() is the nearest representable value, ties to even (property, all formats)", () => {
  for (const f of SMALL) {
    const lim = f.max * 1.0;
    fc.assert(
      fc.property(fc.double({ min: -lim, max: lim, noNaN: true }), (x) => {
        const r = f.round(x, { saturate: true });
        const want = nearestBySearch(f, x);
        ok(Math.abs(r) === want, `${f.name} x=${x}: ${r} vs ${want}`);
        if (r !== 0) equal(Math.sign(r), Math.sign(x));
      }),
      { numRuns: 3000, seed: 19 },
    );
  }
});

Deno.test("encode is monotone and directed modes bracket x (property)", () => {
  const modes = ROUNDING_MODES.filter((m) => m !== "stochastic");
  for (const f of [FP16, FP8_E4M3FN, FP8_E5M2FNUZ, FP6_E3M2, FP4_E2M1]) {
    fc.assert(
      fc.property(
        fc.double({ min: -f.max, max: f.max, noNaN: true }),
        fc.double({ min: -f.max, max: f.max, noNaN: true }),
        (x, y) => {
          const [a, b] = x <= y ? [x, y] : [y, x];
          for (const rounding of modes) {
            ok(f.round(a, { rounding }) <= f.round(b, { rounding }), `${f.name} ${rounding}`);
          }
          const lo = f.round(a, { rounding: "floor" }), hi = f.round(a, { rounding: "ceil" });
          ok(lo <= a && a <= hi);
          ok(Math.abs(f.round(a, { rounding: "toward-zero" })) <= Math.abs(a));
          if (lo !== hi) {
            const away = f.round(a, { rounding: "nearest-away" });
            const d1 = Math.abs(away - a), d2 = Math.abs((away === lo ? hi : lo) - a);
            ok(d1 < d2 || (d1 === d2 && Math.abs(away) > Math.abs(a)));
          }
        },
      ),
      { numRuns: 1500, seed: 20 },
    );
  }
});

Deno.test("overflow follows IEEE 754 §7.4 per family and mode", () => {
  equal(FP16.encode(1e6), 0x7c00);
  equal(FP16.encode(-1e6, { rounding: "toward-zero" }), 0xfbff);
  equal(FP16.encode(1e6, { rounding: "floor" }), 0x7bff);
  equal(FP16.encode(-1e6, { rounding: "floor" }), 0xfc00);
  equal(FP16.encode(-1e6, { rounding: "ceil" }), 0xfbff);
  equal(FP16.encode(Infinity, { rounding: "toward-zero" }), 0x7c00); // ∞ is exact, no overflow
  equal(FP16.encode(-Infinity, { saturate: true }), 0xfbff);
  equal(FP8_E4M3FN.encode(464), 0x7e); // tie with the NaN slot: even 448 wins
  equal(FP8_E4M3FN.encode(464.5), 0x7f); // NaN
  equal(FP8_E4M3FN.encode(-Infinity), 0xff);
  equal(FP8_E4M3FN.encode(-Infinity, { saturate: true }), 0xfe);
  equal(FP8_E5M2.encode(61440), 0x7c); // tie above max 57344 (odd mantissa): to infinity
  equal(FP8_E4M3FNUZ.encode(1e9), 0x80);
  equal(FP8_E4M3FNUZ.encode(-1e9, { saturate: true }), 0xff);
  equal(FP4_E2M1.encode(-Infinity), 0xf);
  equal(FP6_E2M3.encode(8), 0x1f);
});

Deno.test("signed zeros, NaN and fnuz", () => {
  equal(FP16.encode(-0), 0x8000);
  equal(FP8_E4M3FN.encode(-0), 0x80);
  equal(FP8_E4M3FNUZ.encode(-0), 0x00);
  equal(FP8_E4M3FNUZ.encode(-1e-9), 0x00); // underflows to +0: no −0 in fnuz
  equal(FP8_E5M2FNUZ.encode(NaN), 0x80);
  equal(FP8_E4M3FN.encode(NaN), 0x7f);
  equal(FP16.encode(NaN), 0x7e00);
  equal(FP4_E2M1.encode(-1e-9), 0x8);
  throws(() => FP4_E2M1.encode(NaN), /no NaN/);
  throws(() => FP6_E3M2.encodeArray(new Float32Array([1, NaN])), /src\[1\] is NaN/);
  throws(() => FP6_E3M2.encodeArray([1, NaN]), /src\[1\] is NaN/);
});

Deno.test("stochastic rounding into FP8 is unbiased (mean within 5 standard errors)", () => {
  const n = 100_000;
  const rng = new Philox(33);
  for (const x of [1.03, -3.3, 0.0041]) {
    const codes = FP8_E4M3FN.encodeArray(new Float64Array(n).fill(x), {
      rounding: "stochastic",
      random: rng,
    });
    const vals = FP8_E4M3FN.decodeArray(codes);
    const lo = FP8_E4M3FN.round(x, { rounding: "floor" }),
      hi = FP8_E4M3FN.round(x, { rounding: "ceil" });
    const p = (x - lo) / (hi - lo);
    const se = (hi - lo) * Math.sqrt((p * (1 - p)) / n);
    const mean = vals.reduce((a, b) => a + b, 0) / n;
    ok(Math.abs(mean - x) < 5 * se, `x=${x}: mean ${mean}`);
    ok(vals.every((v) => v === lo || v === hi));
  }
  throws(() => FP16.encode(0.1, { rounding: "stochastic" }), TypeError);
});

Deno.test("bad parameters and patterns are RangeErrors naming the argument", () => {
  throws(
    () => minifloat({ exponentBits: 0, mantissaBits: 3 }),
    /exponentBits must be an integer in \[2, 8\]/,
  );
  throws(
    () => minifloat({ exponentBits: 9, mantissaBits: 3, finite: "fn" }),
    /exponentBits .*\[1, 8\]/,
  );
  throws(() => minifloat({ exponentBits: 4, mantissaBits: 0 }), /mantissaBits/);
  throws(() => minifloat({ exponentBits: 4, mantissaBits: 2.5 }), /mantissaBits/);
  throws(
    () => minifloat({ exponentBits: 4, mantissaBits: 3, finite: "x" as never }),
    /finite must be one of/,
  );
  throws(() => minifloat({ exponentBits: 8, mantissaBits: 3, bias: 100 }), /bias/);
  throws(() => minifloat({ exponentBits: 4, mantissaBits: 3, bias: 0.5 }), /bias/);
  throws(() => minifloat(null as never), TypeError);
  throws(() => FP8_E4M3FN.decode(256), /bits must be an integer pattern in \[0, 256\)/);
  throws(() => FP8_E4M3FN.decode(1.5), RangeError);
  throws(() => FP8_E4M3FN.decodeArray([1, 300]), RangeError);
  throws(() => FP16.encode("1" as never), TypeError);
  throws(() => FP16.encode(1, { rounding: "up" as never }), /rounding must be one of/);
  throws(() => FP16.encodeArray(new Float32Array(4), {}, new Uint16Array(2)), /out must hold/);
  throws(() => TF32.values(), /up to 16 bits/);
});

Deno.test("Wasm SIMD and TypeScript kernels agree bit for bit on every format", () => {
  const n = 200_003; // not a multiple of 4 or of the chunk size: exercises the tails
  const src = new Float32Array(n);
  new Philox(34).fillUint32(new Uint32Array(src.buffer));
  // A third of the values in each format's interesting range, plus exact specials.
  const rng = new Philox(35);
  for (const f of [...SMALL, TF32]) {
    const x = src.slice();
    for (let i = 0; i < n; i += 3) x[i] = (rng.uniform() - 0.5) * 4 * f.max * rng.uniform() ** 8;
    x.set([0, -0, Infinity, -Infinity, f.max, -f.max, f.minSubnormal / 2, -f.minNormal], 0);
    const hasNaN = f.hasNaN;
    if (!hasNaN) { for (let i = 0; i < n; i++) if (Number.isNaN(x[i])) x[i] = 1; }
    for (const saturate of [false, true]) {
      const ts = f.encodeArray(x, { saturate, kernel: "ts" });
      const wasm = f.encodeArray(x, { saturate, kernel: "wasm" });
      for (let i = 0; i < n; i++) {
        if (ts[i] !== wasm[i]) equal(wasm[i], ts[i], `${f.name} sat=${saturate} x=${x[i]}`);
      }
    }
  }
  throws(
    () => FP4_E2M1.encodeArray(new Float32Array([1, 2, 3, 4, 5, NaN]), { kernel: "wasm" }),
    /src\[5\] is NaN/,
  );
  throws(
    () => FP4_E2M1.encodeArray(new Float32Array([1, NaN]), { kernel: "ts" }),
    /src\[1\] is NaN/,
  );
  throws(() => FP16.encodeArray(new Float32Array(1), { kernel: "gpu" as never }), /kernel must be/);
});

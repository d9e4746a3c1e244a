// Private: the load-time probe of relaxed-SIMD semantics (kernel source: wasm/probe.wat).
//
// `i32x4.relaxed_dot_i8x16_i7x16_add_s(a, b, c)` is only deterministic while b's bytes lie in
// [0, 127]; outside that range the engine may read b as signed or unsigned and may saturate
// the 16-bit sums of byte pairs. V8 on x86 with AVX-VNNI / AVX512-VNNI lowers it to vpdpbusd
// (b unsigned, four exact products per lane, wrapping add); without VNNI to pmaddubsw +
// pmaddwd (b unsigned, pair sums saturated to int16); on Arm to sdot (b signed). The probe
// runs crafted operands (bytes 0x7F, 0x80, 0xFF, seeded random bytes, an accumulator next to
// 2^31) and names the model that explains every lane, or "other".

import { Philox } from "@lowbit/rounding";
import { PROBE_WASM_BASE64 } from "./_probe_wasm_bytes.ts";

/** How the engine computes `i32x4.relaxed_dot_i8x16_i7x16_add_s` on bytes ≥ 0x80 of b. */
export type RelaxedDotSemantics =
  /** b unsigned, four exact products per lane, wrapping add (x86 VNNI `vpdpbusd`). */
  | "u8s8"
  /** b unsigned, byte-pair sums saturated to int16 (x86 `pmaddubsw` + `pmaddwd`). */
  | "u8s8-pair-saturating"
  /** b signed, exact (e.g. Arm `sdot`). */
  | "s8s8"
  /** Some other answer (the kernels then avoid b ≥ 0x80). */
  | "other"
  /** The engine does not validate relaxed SIMD. */
  | "absent";

/** What the probe found. */
export interface ProbeResult {
  relaxedDot: RelaxedDotSemantics;
  /** `f32x4.relaxed_madd` rounds once (fused), or null without relaxed SIMD. */
  fusedMadd: boolean | null;
}

interface ProbeExports {
  dot_add(a0: bigint, a1: bigint, b0: bigint, b1: bigint, c: number): number[];
  dot_add_loop(a0: bigint, a1: bigint, b0: bigint, b1: bigint, n: number): number;
  madd(a: number, b: number, c: number): number;
}

type Model = (a: Int8Array, b: Uint8Array, c: number, lane: number) => number;

const sat16 = (x: number) => Math.max(-32768, Math.min(32767, x));

/** The candidate semantics, lane by lane (a signed bytes, b the raw bytes). */
const MODELS: [RelaxedDotSemantics, Model][] = [
  ["u8s8", (a, b, c, i) => {
    let s = 0;
    for (let t = 0; t < 4; t++) s += a[4 * i + t] * b[4 * i + t];
    return (c + s) | 0;
  }],
  ["u8s8-pair-saturating", (a, b, c, i) => {
    const p = (t: number) =>
      sat16(a[4 * i + t] * b[4 * i + t] + a[4 * i + t + 1] * b[4 * i + t + 1]);
    return (c + p(0) + p(2)) | 0;
  }],
  ["s8s8", (a, b, c, i) => {
    let s = 0;
    for (let t = 0; t < 4; t++) s += a[4 * i + t] * ((b[4 * i + t] << 24) >> 24);
    return (c + s) | 0;
  }],
];

function halves(x: Uint8Array): [bigint, bigint] {
  const v = new BigInt64Array(x.buffer, x.byteOffset, 2);
  return [v[0], v[1]];
}

/** The crafted operand triples (a bytes, b bytes, c). */
function cases(): [Int8Array, Uint8Array, number][] {
  const out: [Int8Array, Uint8Array, number][] = [];
  const fill = (a: number, b: number, c: number) =>
    out.push([new Int8Array(16).fill(a), new Uint8Array(16).fill(b), c]);
  fill(127, 0xff, 0); // 4·127·255 = 129540; pair-saturating: 2·32767; signed: −508
  fill(-128, 0xff, 0); // −130560; pair-saturating: −65536
  fill(-128, 0x80, 0); // −65536 every way except signed (+65536)
  fill(127, 0xff, 0x7fff0000); // wraps past 2^31 (a saturating accumulate would clamp)
  fill(-128, 1, 1000); // a read as signed
  const r = new Philox(0x5eed, 13);
  for (let n = 0; n < 16; n++) {
    const a = new Int8Array(16), b = new Uint8Array(16);
    for (let i = 0; i < 16; i++) {
      a[i] = r.nextUint32() & 0xff;
      b[i] = r.nextUint32() & 0xff;
    }
    out.push([a, b, (r.nextUint32() | 0) >> 4]);
  }
  return out;
}

/** Classifies answers of `run(a, b, c)` (four lanes) against the models. */
export function classifyRelaxedDot(
  run: (a: Int8Array, b: Uint8Array, c: number) => ArrayLike<number>,
): RelaxedDotSemantics {
  const all = cases();
  const answers = all.map(([a, b, c]) => Array.from(run(a, b, c)));
  for (const [name, model] of MODELS) {
    if (all.every(([a, b, c], n) => answers[n].every((v, i) => v === model(a, b, c, i)))) {
      return name;
    }
  }
  return "other";
}

let result: ProbeResult | undefined;

/** Runs the probe once (cached). */
export function probe(): ProbeResult {
  if (result) return result;
  if (typeof WebAssembly === "undefined") return result = { relaxedDot: "absent", fusedMadd: null };
  const bytes = Uint8Array.from(atob(PROBE_WASM_BASE64), (c) => c.charCodeAt(0));
  if (!WebAssembly.validate(bytes)) return result = { relaxedDot: "absent", fusedMadd: null };
  const ex = new WebAssembly.Instance(new WebAssembly.Module(bytes))
    .exports as unknown as ProbeExports;
  const call = (a: Int8Array, b: Uint8Array, c: number) => {
    const [a0, a1] = halves(new Uint8Array(a.buffer));
    const [b0, b1] = halves(b);
    return ex.dot_add(a0, a1, b0, b1, c);
  };
  let relaxedDot = classifyRelaxedDot(call);
  // The same instruction in a hot loop (compiled by the optimizing tier as well): n·dot(lane 0)
  if (relaxedDot !== "other") {
    const a = new Int8Array(16).fill(127), b = new Uint8Array(16).fill(0xff);
    const [a0, a1] = halves(new Uint8Array(a.buffer));
    const [b0, b1] = halves(b);
    const model = MODELS.find(([name]) => name === relaxedDot)![1];
    const n = 20000;
    for (let round = 0; round < 3; round++) {
      if (ex.dot_add_loop(a0, a1, b0, b1, n) !== Math.imul(n, model(a, b, 0, 0))) {
        relaxedDot = "other";
      }
    }
  }
  // fused: 1 + 2^-23 squared minus (1 + 2^-22) is exactly 2^-46; unfused it rounds to 0
  const e = 1 + 2 ** -23;
  const fusedMadd = ex.madd(e, e, -(1 + 2 ** -22)) !== 0;
  return result = { relaxedDot, fusedMadd };
}

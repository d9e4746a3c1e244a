// Peak microkernels of this engine and CPU, for the GEMM reports' "% of peak" columns: each is
// a register-only loop of one instruction over 12 independent accumulators (no memory
// traffic), compiled at run time from the WAT below with wabt. Single thread.

import wabtInit from "wabt";

/** One measured peak. */
export interface Peak {
  name: string;
  /** Operations per instruction (2 per multiply-add; 64 per popcount of a 64-bit XNOR). */
  opsPerInstr: number;
  unit: "OP" | "FLOP" | "binary OP";
  /** Best of the repeats, G{unit}/s. */
  best: number;
  /** All repeats, G{unit}/s. */
  runs: number[];
}

const ACC = 12;

function loop(body: (i: number) => string, lane: string, result: string): string {
  const init = "v128";
  const locals = Array.from({ length: ACC }, (_, i) => `(local $a${i} ${init})`).join(" ");
  const steps = Array.from({ length: ACC }, (_, i) => body(i)).join("\n      ");
  const sum = Array.from({ length: ACC - 1 }, (_, i) => i + 1).reduce(
    (s, i) => `(${result} ${s} (local.get $a${i}))`,
    "(local.get $a0)",
  );
  return `(param $n i32) (result ${
    lane.startsWith("f32") ? "f32" : "i32"
  }) (local $x v128) (local $y v128) ${locals}
    (local.set $x (v128.const i32x4 0x01020304 0x05060708 0x090a0b0c 0x0d0e0f10))
    (local.set $y (v128.const i32x4 0x11121314 0x15161718 0x191a1b1c 0x1d1e1f20))
    (loop $l
      ${steps}
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $l (local.get $n)))
    (${lane} 0 ${sum})`;
}

const WAT = `(module
  (func (export "relaxed_dot") ${
  loop(
    (i) =>
      `(local.set $a${i} (i32x4.relaxed_dot_i8x16_i7x16_add_s (local.get $x) (local.get $y) (local.get $a${i})))`,
    "i32x4.extract_lane",
    "i32x4.add",
  )
})
  (func (export "dot_i16") ${
  loop(
    (i) =>
      `(local.set $a${i} (i32x4.add (local.get $a${i}) (i32x4.dot_i16x8_s (local.get $x) (local.get $y))))`,
    "i32x4.extract_lane",
    "i32x4.add",
  )
})
  (func (export "fma_f32") ${
  loop(
    (i) =>
      `(local.set $a${i} (f32x4.relaxed_madd (local.get $x) (local.get $y) (local.get $a${i})))`,
    "f32x4.extract_lane",
    "f32x4.add",
  )
})
  (func (export "popcnt") (param $n i32) (result i64) (local $v i64)
    (local $s0 i64) (local $s1 i64) (local $s2 i64) (local $s3 i64)
    (local $s4 i64) (local $s5 i64) (local $s6 i64) (local $s7 i64)
    (loop $l
      ;; eight independent popcounts of words that change every iteration
      (local.set $v (i64.extend_i32_u (local.get $n)))
      (local.set $s0 (i64.add (local.get $s0) (i64.popcnt (i64.xor (local.get $v) (i64.const 0x0123456789abcdef)))))
      (local.set $s1 (i64.add (local.get $s1) (i64.popcnt (i64.xor (local.get $v) (i64.const 0x1133557799bbddff)))))
      (local.set $s2 (i64.add (local.get $s2) (i64.popcnt (i64.xor (local.get $v) (i64.const 0x2244668800aaccee)))))
      (local.set $s3 (i64.add (local.get $s3) (i64.popcnt (i64.xor (local.get $v) (i64.const 0x3355779911bbddff)))))
      (local.set $s4 (i64.add (local.get $s4) (i64.popcnt (i64.xor (local.get $v) (i64.const 0x0f0f0f0f0f0f0f0f)))))
      (local.set $s5 (i64.add (local.get $s5) (i64.popcnt (i64.xor (local.get $v) (i64.const 0x7766554433221100)))))
      (local.set $s6 (i64.add (local.get $s6) (i64.popcnt (i64.xor (local.get $v) (i64.const 0x00ff00ff00ff00ff)))))
      (local.set $s7 (i64.add (local.get $s7) (i64.popcnt (i64.xor (local.get $v) (i64.const 0x5555aaaa5555aaaa)))))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $l (local.get $n)))
    (i64.add (i64.add (i64.add (local.get $s0) (local.get $s1)) (i64.add (local.get $s2) (local.get $s3)))
      (i64.add (i64.add (local.get $s4) (local.get $s5)) (i64.add (local.get $s6) (local.get $s7)))))
)`;

/** Measures the peaks (about half a second per instruction and repeat). */
export async function measurePeaks(repeats = 3): Promise<Peak[]> {
  const wabt = await wabtInit();
  const mod = wabt.parseWat("peaks.wat", WAT, { simd: true, relaxed_simd: true });
  const { buffer } = mod.toBinary({});
  mod.destroy();
  const ex = new WebAssembly.Instance(new WebAssembly.Module(new Uint8Array(buffer)))
    .exports as Record<
      string,
      (n: number) => unknown
    >;
  const specs: [string, string, number, Peak["unit"], number][] = [
    // name, export, ops per loop iteration, unit, iterations
    ["i32x4.relaxed_dot_i8x16_i7x16_add_s (16 MAC)", "relaxed_dot", ACC * 32, "OP", 4e6],
    ["i32x4.dot_i16x8_s + i32x4.add (8 MAC)", "dot_i16", ACC * 16, "OP", 4e6],
    ["f32x4.relaxed_madd (4 FMA)", "fma_f32", ACC * 8, "FLOP", 4e6],
    ["i64.xor + i64.popcnt + i64.add (64 binary MAC)", "popcnt", 8 * 128, "binary OP", 2e7],
  ];
  const out: Peak[] = [];
  for (const [name, fn, ops, unit, iters] of specs) {
    // many short calls first: V8 starts in its baseline tier and swaps in optimized code
    // between calls
    for (let w = 0; w < 200; w++) ex[fn](iters / 200);
    const runs: number[] = [];
    for (let r = 0; r < repeats; r++) {
      const s = performance.now();
      ex[fn](iters);
      runs.push((ops * iters) / ((performance.now() - s) * 1e6));
    }
    out.push({
      name,
      opsPerInstr: ops / (fn === "popcnt" ? 8 : ACC),
      unit,
      best: Math.max(...runs),
      runs,
    });
  }
  return out;
}

// Benchmark cases shared by gemm_bench.ts (deno bench) and gemm_report.ts (GOP/s table).
// Each case is made lazily (operands, packed weights, onnxruntime sessions).

import * as ort from "onnxruntime-web";
import {
  gemmBinary,
  gemmF32,
  gemmInt8,
  gemmNarrow,
  gemmTernary,
  kernelInfo,
  packBinary,
  packF32,
  packInt8,
  packTernary,
  startPool,
} from "@lowbit/kernels";
import { Philox } from "@lowbit/rounding";
import type { GraphTensor, ValueInfo } from "@lowbit/graph/ir";
import { exportOnnx } from "@lowbit/onnx/export";
// private: forcing one int8 path, to compare both in one run
import { forceInt8Path, type Int8Path, int8Path } from "../packages/kernels/_int8_path.ts";

ort.env.wasm.numThreads = 1;

/** One measured function of a case. */
export interface Entry {
  name: string;
  baseline?: boolean;
  fn: () => void | Promise<void>;
}

/** A group of functions computing the same product. */
export interface Case {
  group: string;
  ops: number;
  unit: "FLOP" | "OP" | "binary OP";
  /** The peak (benchmarks/_peaks.ts name prefix) the % of peak column refers to. */
  peak?: string;
  iterations: number;
  entries: Entry[];
}

const pool = await startPool({ threads: 2 });
pool.enabled = false;

/** Runs `f` single-threaded (pool disabled). */
function single<T>(f: () => T): () => T {
  return () => {
    pool.enabled = false;
    return f();
  };
}
/** Runs `f` on the pool. */
function pooled<T>(f: () => T): () => T {
  return () => {
    pool.enabled = true;
    try {
      return f();
    } finally {
      pool.enabled = false;
    }
  };
}

function f32(len: number, seed: number): Float32Array {
  const r = new Philox(seed);
  return new Float32Array(len).map(() => r.uniform() * 2 - 1);
}
function bytes<T extends Uint8Array | Int8Array>(
  make: new (n: number) => T,
  len: number,
  seed: number,
): T {
  const r = new Philox(seed);
  const x = new make(len);
  for (let i = 0; i < len; i++) x[i] = r.nextUint32() & 0xff;
  return x;
}

/** The onnxruntime peer: `y = op(nodeInputs)` as a one-node opset-19 model (exportOnnx). */
function oneNodeModel(
  op: string,
  inputs: ValueInfo[],
  initializers: Record<string, GraphTensor>,
  nodeInputs: string[],
  output: ValueInfo,
): Uint8Array {
  return exportOnnx({
    name: "g",
    opset: 19,
    inputs,
    outputs: [output],
    nodes: [{ name: op, op, inputs: nodeInputs, outputs: [output.name], attrs: {} }],
    initializers: new Map(Object.entries(initializers)),
    values: new Map(),
  });
}

async function session(model: Uint8Array) {
  return await ort.InferenceSession.create(model, { executionProviders: ["wasm"] });
}

/** f32 1024³: ORT MatMul vs lowbit (1 and 2 threads). */
async function f32Gemm(): Promise<Case> {
  const n = 1024;
  const a = f32(n * n, 1), b = f32(n * n, 2), out = new Float32Array(n * n);
  const s = await session(oneNodeModel(
    "MatMul",
    [{ name: "a", dtype: "float32", shape: [n, n] }],
    { b: { dtype: "float32", shape: [n, n], data: b } },
    ["a", "b"],
    { name: "y", dtype: "float32", shape: [n, n] },
  ));
  const feed = { a: new ort.Tensor("float32", a, [n, n]) };
  // B as a graph input: packed on every run, like gemmF32 with an unpacked B
  const s2 = await session(oneNodeModel(
    "MatMul",
    [
      { name: "a", dtype: "float32", shape: [n, n] },
      { name: "b", dtype: "float32", shape: [n, n] },
    ],
    {},
    ["a", "b"],
    { name: "y", dtype: "float32", shape: [n, n] },
  ));
  const feed2 = { ...feed, b: new ort.Tensor("float32", b, [n, n]) };
  const pb = packF32(b, n, n);
  return {
    group: "f32 GEMM 1024³",
    ops: 2 * n ** 3,
    unit: "FLOP",
    peak: "f32x4.relaxed_madd",
    iterations: 20,
    entries: [
      {
        name: "onnxruntime-web MatMul (B initializer), 1 thread",
        baseline: true,
        fn: async () => void (await s.run(feed)),
      },
      {
        name: "onnxruntime-web MatMul (B input), 1 thread",
        fn: async () => void (await s2.run(feed2)),
      },
      { name: "lowbit gemmF32, 1 thread", fn: single(() => void gemmF32(n, n, n, a, b, { out })) },
      {
        name: "lowbit gemmF32 packed B, 1 thread",
        fn: single(() => void gemmF32(n, n, n, a, pb, { out })),
      },
      { name: "lowbit gemmF32, 2 threads", fn: pooled(() => void gemmF32(n, n, n, a, b, { out })) },
    ],
  };
}

/** int8 1024³: ORT MatMulInteger vs lowbit. */
async function int8Gemm(): Promise<Case> {
  const n = 1024;
  const a = bytes(Uint8Array, n * n, 3), b = bytes(Int8Array, n * n, 4);
  const out = new Int32Array(n * n);
  const s = await session(oneNodeModel(
    "MatMulInteger",
    [{ name: "a", dtype: "uint8", shape: [n, n] }],
    {
      b: { dtype: "int8", shape: [n, n], data: b },
      za: { dtype: "uint8", shape: [], data: Uint8Array.of(128) },
      zb: { dtype: "int8", shape: [], data: Int8Array.of(3) },
    },
    ["a", "b", "za", "zb"],
    { name: "y", dtype: "int32", shape: [n, n] },
  ));
  const feed = { a: new ort.Tensor("uint8", a, [n, n]) };
  const s2 = await session(oneNodeModel(
    "MatMulInteger",
    [{ name: "a", dtype: "uint8", shape: [n, n] }, { name: "b", dtype: "int8", shape: [n, n] }],
    {
      za: { dtype: "uint8", shape: [], data: Uint8Array.of(128) },
      zb: { dtype: "int8", shape: [], data: Int8Array.of(3) },
    },
    ["a", "b", "za", "zb"],
    { name: "y", dtype: "int32", shape: [n, n] },
  ));
  const feed2 = { ...feed, b: new ort.Tensor("int8", b, [n, n]) };
  const pb = packInt8(b, n, n);
  const opts = { aZeroPoint: 128, bZeroPoint: 3, out };
  // the other path(s) on the same operands: packed in their own layout, forced when unpacked
  const chosen = int8Path();
  const others: Entry[] = [];
  for (const path of ["relaxed-dot-u8s8", "dot-i16"] as Int8Path[]) {
    if (path === chosen || (path === "relaxed-dot-u8s8" && kernelInfo().relaxedDot !== "u8s8")) {
      continue;
    }
    forceInt8Path(path);
    const pbp = packInt8(b, n, n);
    forceInt8Path(null);
    others.push(
      {
        name: `lowbit gemmInt8 packed B, ${path} path (forced), 1 thread`,
        fn: single(() => void gemmInt8(n, n, n, a, pbp, opts)),
      },
      {
        name: `lowbit gemmInt8, ${path} path (forced), 1 thread`,
        fn: single(() => {
          forceInt8Path(path);
          try {
            gemmInt8(n, n, n, a, b, opts);
          } finally {
            forceInt8Path(null);
          }
        }),
      },
    );
  }
  return {
    group: "int8 GEMM 1024³ (u8×i8→i32, zero points)",
    ops: 2 * n ** 3,
    unit: "OP",
    peak: kernelInfo().relaxedDot === "u8s8" ? "i32x4.relaxed_dot" : "i32x4.dot_i16x8_s",
    iterations: 20,
    entries: [
      {
        name: "onnxruntime-web MatMulInteger (B initializer), 1 thread",
        baseline: true,
        fn: async () => void (await s.run(feed)),
      },
      {
        name: "onnxruntime-web MatMulInteger (B input), 1 thread",
        fn: async () => void (await s2.run(feed2)),
      },
      {
        name: `lowbit gemmInt8, ${chosen} path (chosen), 1 thread`,
        fn: single(() => void gemmInt8(n, n, n, a, b, opts)),
      },
      {
        name: `lowbit gemmInt8 packed B, ${chosen} path (chosen), 1 thread`,
        fn: single(() => void gemmInt8(n, n, n, a, pb, opts)),
      },
      ...others,
      {
        name: `lowbit gemmInt8 packed B, ${chosen} path (chosen), 2 threads`,
        fn: pooled(() => void gemmInt8(n, n, n, a, pb, opts)),
      },
    ],
  };
}

/** int8 GEMV 1×4096×4096 (batch-1 fully connected layer). */
async function int8Gemv(): Promise<Case> {
  const k = 4096, n = 4096;
  const x = bytes(Uint8Array, k, 5), w = bytes(Int8Array, k * n, 6);
  const out = new Int32Array(n);
  const s = await session(oneNodeModel(
    "MatMulInteger",
    [{ name: "a", dtype: "uint8", shape: [1, k] }],
    {
      b: { dtype: "int8", shape: [k, n], data: w },
      za: { dtype: "uint8", shape: [], data: Uint8Array.of(128) },
      zb: { dtype: "int8", shape: [], data: Int8Array.of(0) },
    },
    ["a", "b", "za", "zb"],
    { name: "y", dtype: "int32", shape: [1, n] },
  ));
  const feed = { a: new ort.Tensor("uint8", x, [1, k]) };
  const pw = packInt8(w, k, n);
  return {
    group: "int8 GEMV 1×4096×4096",
    ops: 2 * k * n,
    unit: "OP",
    iterations: 200,
    entries: [
      {
        name: "onnxruntime-web MatMulInteger, 1 thread",
        baseline: true,
        fn: async () => void (await s.run(feed)),
      },
      {
        name: "lowbit gemmInt8 packed, 1 thread",
        fn: single(() => void gemmInt8(1, n, k, x, pw, { aZeroPoint: 128, out })),
      },
      {
        name: "lowbit gemmInt8 packed, 2 threads",
        fn: pooled(() => void gemmInt8(1, n, k, x, pw, { aZeroPoint: 128, out })),
      },
    ],
  };
}

/** 4-bit codes 1024³: the i16-accumulating path against the 8-bit path on the same codes. */
function narrowGemm(): Promise<Case> {
  const n = 1024;
  const r = new Philox(7);
  const a = new Uint8Array(n * n).map(() => r.nextUint32() & 15);
  const b = new Int8Array(n * n).map(() => (r.nextUint32() & 15) - 8);
  const out = new Int32Array(n * n);
  const pb = packInt8(b, n, n);
  const opts = { aZeroPoint: 3, out };
  return Promise.resolve({
    group: "4-bit codes GEMM 1024³ (u4×s4→i32)",
    ops: 2 * n ** 3,
    unit: "OP",
    iterations: 20,
    entries: [
      {
        name: "lowbit gemmInt8 packed B, 1 thread",
        baseline: true,
        fn: single(() => void gemmInt8(n, n, n, a, pb, opts)),
      },
      {
        name: "lowbit gemmNarrow (i16 accumulation) packed B, 1 thread",
        fn: single(() => void gemmNarrow(n, n, n, a, pb, opts)),
      },
      {
        name: "lowbit gemmNarrow packed B, 2 threads",
        fn: pooled(() => void gemmNarrow(n, n, n, a, pb, opts)),
      },
    ],
  });
}

/** Binary and ternary 1024³ against lowbit's own f32 GEMM on the same-sized product. */
function bitsGemm(): Promise<Case> {
  const n = 1024;
  const a = f32(n * n, 8), b = f32(n * n, 9), c = new Float32Array(n * n);
  const pf = packF32(b, n, n);
  const pa = packBinary(a, n, n), pb = packBinary(b, n, n), acc = new Int32Array(n * n);
  const ta = packTernary(a, n, n, { threshold: 0.35 }),
    tb = packTernary(b, n, n, { threshold: 0.35 });
  return Promise.resolve({
    group: "binary / ternary GEMM 1024³ vs f32",
    ops: 2 * n ** 3,
    unit: "binary OP",
    peak: "i64.xor + i64.popcnt",
    iterations: 20,
    entries: [
      {
        name: "lowbit gemmF32 packed B, 1 thread",
        baseline: true,
        fn: single(() => void gemmF32(n, n, n, a, pf, { out: c })),
      },
      {
        name: "lowbit gemmBinary (XNOR-popcount), 1 thread",
        fn: single(() => void gemmBinary(n, n, n, pa, pb, { out: acc })),
      },
      {
        name: "lowbit gemmTernary (two bit-planes), 1 thread",
        fn: single(() => void gemmTernary(n, n, n, ta, tb, { out: acc })),
      },
      {
        name: "lowbit gemmBinary (XNOR-popcount), 2 threads",
        fn: pooled(() => void gemmBinary(n, n, n, pa, pb, { out: acc })),
      },
      {
        name: "lowbit gemmTernary (two bit-planes), 2 threads",
        fn: pooled(() => void gemmTernary(n, n, n, ta, tb, { out: acc })),
      },
    ],
  });
}

/** Every case, made on demand. */
export const CASES: (() => Promise<Case>)[] = [f32Gemm, int8Gemm, int8Gemv, narrowGemm, bitsGemm];

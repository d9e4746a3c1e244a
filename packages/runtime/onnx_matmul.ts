/**
 * ONNX `MatMulInteger` and `QLinearMatMul` with NumPy matmul shapes (1-D operands promoted
 * and squeezed, leading batch dimensions broadcast):
 *
 *     MatMulInteger:  Y = Σ_k (A_ik − a_zp[i]) · (B_kj − b_zp[j])            int32      (M.1)
 *     QLinearMatMul:  Y = saturate(rne(fl32(acc · M_j)) + y_zp),
 *                     M_j = fl32(fl32(a_scale · b_scale[j]) / y_scale)                 (M.2)
 *
 * (M.2) is onnxruntime's float requantization (`"float"` mode, the default); `"fixed"` mode
 * rescales the same accumulators with gemmlowp fixed-point arithmetic instead
 * (`quantizeMultiplier` of the real multiplier M_j). A zero points may be per-row (length M),
 * B zero points and scales per-column (length N); everything runs on `@lowbit/kernels`
 * `gemmInt8` / `gemmInt8Requantized`.
 *
 * @example The ONNX test vector `test_matmulinteger`
 * ```ts
 * import { matMulInteger } from "@lowbit/runtime/onnx-matmul";
 * import { deepEqual } from "node:assert/strict";
 * const a = { data: new Uint8Array([11, 7, 3, 10, 6, 2, 9, 5, 1, 8, 4, 0]), shape: [4, 3] };
 * const b = { data: new Uint8Array([1, 4, 2, 5, 3, 6]), shape: [3, 2] };
 * const y = matMulInteger(a, b, { aZeroPoint: 12 });
 * deepEqual([...y.data], [-38, -83, -44, -98, -50, -113, -56, -128]);
 * deepEqual(y.shape, [4, 2]);
 * ```
 *
 * @module
 */

import { gemmInt8, gemmInt8Requantized, type Int8Operand } from "@lowbit/kernels/gemm-int8";
import { QuantizedTensor } from "./quantized_tensor.ts";
import { type OutputStage, outputStageFor, type RequantMode } from "./requantize.ts";
import { checkGemmAccumulators, stageShifts, withMultiplierNames } from "./_int32_check.ts";
import { valuesEqual } from "@lowbit/tensor/shape";

/** An 8-bit code tensor: row-major codes and their shape. */
export interface CodeTensor {
  /** The codes, row-major. */
  data: Int8Array | Uint8Array;
  /** The dimensions. */
  shape: readonly number[];
}

/** An int32 tensor (accumulators). */
export interface Int32Tensor {
  /** The values, row-major. */
  data: Int32Array;
  /** The dimensions. */
  shape: number[];
}

/** Options of {@linkcode matMulInteger}. */
export interface MatMulIntegerOptions {
  /** A's zero point: scalar, or per row (length M). Default 0. */
  aZeroPoint?: number | Int32Array;
  /** B's zero point: scalar, or per column (length N). Default 0. */
  bZeroPoint?: number | Int32Array;
}

/** Output parameters of a QLinear op. */
export interface QLinearOutput {
  /** Output scale (> 0). */
  scale: number;
  /** Output zero point (default 0). */
  zeroPoint?: number;
  /** Output type (default: A's type). */
  dtype?: "int8" | "uint8";
}

/** Options of the QLinear ops. */
export interface QLinearOptions {
  /** Requantization semantics (default `"float"`, ONNX/onnxruntime). */
  mode?: RequantMode;
}

/** The broadcast plan of a NumPy matmul. */
interface MatMulPlan {
  m: number;
  k: number;
  n: number;
  batches: { a: number; b: number }[];
  outShape: number[];
}

function checkCodes(name: string, t: CodeTensor): void {
  if (
    t === null || typeof t !== "object" ||
    !(t.data instanceof Int8Array || t.data instanceof Uint8Array)
  ) {
    throw new TypeError(`${name} must be { data: Int8Array | Uint8Array, shape }`);
  }
  const size = t.shape.reduce((a, b) => a * b, 1);
  if (t.shape.length === 0 || size !== t.data.length) {
    throw new RangeError(
      `${name}.shape [${
        t.shape.join(", ")
      }] must be non-empty and hold data.length (${t.data.length}) elements`,
    );
  }
}

/** NumPy matmul broadcasting of shapes [..., M, K] × [..., K, N]. */
function planMatMul(aShape: readonly number[], bShape: readonly number[]): MatMulPlan {
  const a = aShape.length === 1 ? [1, aShape[0]] : [...aShape];
  const b = bShape.length === 1 ? [bShape[0], 1] : [...bShape];
  const m = a[a.length - 2], k = a[a.length - 1], kb = b[b.length - 2], n = b[b.length - 1];
  if (k !== kb) {
    throw new RangeError(
      `inner dimensions differ: a is [${aShape.join(", ")}], b is [${bShape.join(", ")}]`,
    );
  }
  const ab = a.slice(0, -2), bb = b.slice(0, -2);
  const rank = Math.max(ab.length, bb.length);
  const pa = [...Array(rank - ab.length).fill(1), ...ab],
    pb = [...Array(rank - bb.length).fill(1), ...bb];
  const batch: number[] = [];
  for (let d = 0; d < rank; d++) {
    if (pa[d] !== pb[d] && pa[d] !== 1 && pb[d] !== 1) {
      throw new RangeError(
        `batch dimensions do not broadcast: a is [${aShape.join(", ")}], b is [${
          bShape.join(", ")
        }]`,
      );
    }
    batch.push(Math.max(pa[d], pb[d]));
  }
  const total = batch.reduce((x, y) => x * y, 1);
  const batches: { a: number; b: number }[] = [];
  for (let t = 0; t < total; t++) {
    let rem = t, ia = 0, ib = 0, sa = 1, sb = 1;
    for (let d = rank - 1; d >= 0; d--) {
      const idx = rem % batch[d];
      rem = Math.floor(rem / batch[d]);
      ia += (pa[d] === 1 ? 0 : idx) * sa;
      ib += (pb[d] === 1 ? 0 : idx) * sb;
      sa *= pa[d];
      sb *= pb[d];
    }
    batches.push({ a: ia, b: ib });
  }
  const outShape = [...batch];
  if (aShape.length !== 1) outShape.push(m);
  if (bShape.length !== 1) outShape.push(n);
  return { m, k, n, batches, outShape };
}

function zeroPointArg(
  name: string,
  zp: number | Int32Array | undefined,
  len: number,
): number | Int32Array {
  if (zp === undefined) return 0;
  if (typeof zp === "number") return zp;
  if (zp.length === 1) return zp[0];
  if (zp.length !== len) {
    throw new RangeError(`${name} must be a scalar or have length ${len}, got ${zp.length}`);
  }
  return zp;
}

/**
 * ONNX MatMulInteger (M.1): int32 products of zero-point-shifted 8-bit codes.
 *
 * @param a Codes `[..., M, K]` (or `[K]`).
 * @param b Codes `[..., K, N]` (or `[K]`).
 * @param options Zero points.
 * @returns The int32 result with the broadcast shape.
 * @throws {RangeError} On shapes that do not multiply or broadcast, or zero points of the
 *   wrong length or outside their type.
 * @throws {RangeError} If an int32 accumulator (bias included) would leave int32 and wrap,
 *   naming the arguments and the output index; with fixed-point requantization also if the
 *   left shift of a multiplier ≥ 1 would take it out of int32. Nothing saturates silently.
 *   Zero-size dimensions give empty outputs (K = 0: the empty sum, 0).
 * @throws {TypeError} When an operand is not 8-bit codes.
 *
 * @example Per-column B zero points
 * ```ts
 * import { matMulInteger } from "@lowbit/runtime/onnx-matmul";
 * import { deepEqual } from "node:assert/strict";
 * const y = matMulInteger({ data: new Int8Array([1, 1]), shape: [2] }, { data: new Int8Array([5, 5, 5, 5]), shape: [2, 2] }, {
 *   bZeroPoint: new Int32Array([5, 4]),
 * });
 * deepEqual([...y.data], [0, 2]);
 * deepEqual(y.shape, [2]);
 * ```
 */
export function matMulInteger(
  a: CodeTensor,
  b: CodeTensor,
  options: MatMulIntegerOptions = {},
): Int32Tensor {
  checkCodes("a", a);
  checkCodes("b", b);
  const p = planMatMul(a.shape, b.shape);
  const { m, k, n } = p;
  const aZp = zeroPointArg("options.aZeroPoint", options.aZeroPoint, m);
  const bZp = zeroPointArg("options.bZeroPoint", options.bZeroPoint, n);
  const out = new Int32Array(p.batches.length * m * n);
  // Empty tensors (ONNX allows zero-size dimensions): no output, or K = 0 sums to 0.
  if (out.length === 0 || k === 0) return { data: out, shape: p.outShape };
  p.batches.forEach(({ a: ia, b: ib }, t) => {
    const av = a.data.subarray(ia * m * k, (ia + 1) * m * k);
    const bv = b.data.subarray(ib * k * n, (ib + 1) * k * n);
    checkGemmAccumulators({
      label: "matMulInteger(a, b)",
      m,
      n,
      k,
      a: av,
      b: bv,
      aZeroPoint: aZp,
      bZeroPoint: bZp,
      prefix: p.batches.length > 1 ? `[${t}; ` : "[",
    });
    if (typeof aZp === "number") {
      gemmInt8(m, n, k, av, bv, {
        aZeroPoint: aZp,
        bZeroPoint: bZp,
        out: out.subarray(t * m * n, (t + 1) * m * n),
      });
    } else {
      for (let i = 0; i < m; i++) {
        gemmInt8(1, n, k, av.subarray(i * k, (i + 1) * k), bv, {
          aZeroPoint: aZp[i],
          bZeroPoint: bZp,
          out: out.subarray((t * m + i) * n, (t * m + i + 1) * n),
        });
      }
    }
  });
  return { data: out, shape: p.outShape };
}

/** The real multipliers `fl32(fl32(s_a·s_w[j]) / s_y)` of a QLinear op (onnxruntime's order). */
export function qlinearMultipliers(
  inputScale: number,
  weightScale: Float32Array,
  outputScale: number,
): Float32Array {
  const f = Math.fround, si = f(inputScale), so = f(outputScale);
  const out = new Float32Array(weightScale.length);
  for (let i = 0; i < weightScale.length; i++) out[i] = f(f(si * weightScale[i]) / so);
  return out;
}

interface StageMemo {
  inputScale: number;
  weightScale: Float32Array;
  outputScale: number;
  count: number;
  mode: RequantMode;
  zeroPoint: number;
  dtype: "int8" | "uint8";
  stage: OutputStage;
}
// The last output stage made per weight-scale array: a compiled graph runs each layer with the
// same weights and grids every time, and the multipliers and their Q31 form are most of a
// small layer's JavaScript time. A hit needs equal scales (compared element by element: the
// array's contents may have changed since) and equal options.
const stageMemo = new WeakMap<Float32Array, StageMemo>();

/**
 * The output stage of a QLinear op with `count` output channels: the multipliers
 * {@linkcode qlinearMultipliers} (a per-tensor weight scale repeated `count` times) through
 * `outputStageFor`; the last stage made for the same weight-scale array is returned again when
 * the scales and options are unchanged. The returned stage must not be modified.
 *
 * @param inputScale The input's scale.
 * @param weightScale The weight's scales (one, or `count`).
 * @param count The output channels.
 * @param outputScale The output's scale.
 * @param options Mode, output zero point and dtype.
 * @returns The output stage.
 * @throws {RangeError} When a multiplier is not finite and > 0, or `weightScale` has neither 1
 *   nor `count` scales.
 *
 * @example
 * ```ts
 * import { qlinearStage } from "@lowbit/runtime/onnx-matmul";
 * import { equal, strictEqual } from "node:assert/strict";
 * const ws = Float32Array.of(0.5, 0.25);
 * const opts = { mode: "float" as const, zeroPoint: 0, dtype: "int8" as const };
 * const a = qlinearStage(0.1, ws, 2, 0.2, opts);
 * equal(a.kind, "float");
 * equal((a.multiplier as Float32Array)[1], Math.fround(Math.fround(Math.fround(0.1) * 0.25) / Math.fround(0.2)));
 * strictEqual(qlinearStage(0.1, ws, 2, 0.2, opts), a); // same scales and options: the same stage
 * ws[1] = 0.125;
 * equal((qlinearStage(0.1, ws, 2, 0.2, opts).multiplier as Float32Array)[1] < (a.multiplier as Float32Array)[1], true);
 * ```
 */
export function qlinearStage(
  inputScale: number,
  weightScale: Float32Array,
  count: number,
  outputScale: number,
  options: { mode: RequantMode; zeroPoint: number; dtype: "int8" | "uint8" },
): OutputStage {
  const hit = stageMemo.get(weightScale);
  if (
    hit !== undefined && hit.inputScale === inputScale && hit.outputScale === outputScale &&
    hit.count === count && hit.mode === options.mode && hit.zeroPoint === options.zeroPoint &&
    hit.dtype === options.dtype && valuesEqual(hit.weightScale, weightScale)
  ) return hit.stage;
  if (weightScale.length !== count && weightScale.length !== 1) {
    throw new RangeError(
      `weightScale must have 1 or count (${count}) scales, got ${weightScale.length}`,
    );
  }
  const ws = weightScale.length === count
    ? weightScale
    : new Float32Array(count).fill(weightScale[0]);
  const stage = outputStageFor(qlinearMultipliers(inputScale, ws, outputScale), options);
  stageMemo.set(weightScale, {
    inputScale,
    weightScale: weightScale.slice(),
    outputScale,
    count,
    mode: options.mode,
    zeroPoint: options.zeroPoint,
    dtype: options.dtype,
    stage,
  });
  return stage;
}

function storage(t: QuantizedTensor, name: string): Int8Operand {
  if (t.dtype !== "int8" && t.dtype !== "uint8") {
    throw new RangeError(`${name}.dtype must be "int8" or "uint8", got ${t.dtype}`);
  }
  return t.q as Int8Operand;
}

/**
 * ONNX QLinearMatMul (M.2): `a` per-tensor, `b` per-tensor or per-column (`axis` = its last
 * dimension), output per-tensor.
 *
 * @param a Quantized `[..., M, K]` (per-tensor).
 * @param b Quantized `[..., K, N]`, per-tensor or per-column.
 * @param output Output scale, zero point and type.
 * @param options Requantization mode (`"float"` default, `"fixed"` gemmlowp).
 * @returns The quantized product.
 * @throws {RangeError} If an int32 accumulator (bias included) would leave int32 and wrap,
 *   naming the arguments and the output index; with fixed-point requantization also if the
 *   left shift of a multiplier ≥ 1 would take it out of int32. Nothing saturates silently.
 *   Zero-size dimensions give empty outputs (K = 0: the empty sum, 0).
 * @throws {RangeError} On per-channel `a`, `b` per-channel along another axis, bad shapes or
 *   output parameters.
 *
 * @example The ONNX test vector `test_qlinearmatmul_2D`
 * ```ts
 * import { qlinearMatMul } from "@lowbit/runtime/onnx-matmul";
 * import { QuantizedTensor } from "@lowbit/runtime/quantized-tensor";
 * import { deepEqual } from "node:assert/strict";
 * const a = new QuantizedTensor({ q: new Uint8Array([208, 236, 0, 238, 3, 214, 255, 29]), shape: [2, 4], dtype: "uint8", scale: 0.0066, zeroPoint: 113 });
 * const b = new QuantizedTensor({ q: new Uint8Array([152, 51, 244, 60, 26, 255, 0, 127, 246, 127, 254, 247]), shape: [4, 3], dtype: "uint8", scale: 0.00705, zeroPoint: 114 });
 * const y = qlinearMatMul(a, b, { scale: 0.0107, zeroPoint: 118 });
 * deepEqual([...y.q], [168, 115, 255, 1, 66, 151]);
 * ```
 */
export function qlinearMatMul(
  a: QuantizedTensor,
  b: QuantizedTensor,
  output: QLinearOutput,
  options: QLinearOptions = {},
): QuantizedTensor {
  if (!(a instanceof QuantizedTensor) || !(b instanceof QuantizedTensor)) {
    throw new TypeError("a and b must be QuantizedTensors");
  }
  const aq = storage(a, "a"), bq = storage(b, "b");
  if (a.perChannel) {
    throw new RangeError("a must be quantized per-tensor (per-row a_scale is not supported)");
  }
  if (b.perChannel && b.axis !== b.shape.length - 1) {
    throw new RangeError(
      `b may be per-column only (axis ${b.shape.length - 1}), got axis ${b.axis}`,
    );
  }
  const p = planMatMul(a.shape, b.shape);
  const { m, k, n } = p;
  const dtype = output.dtype ?? (a.dtype as "int8" | "uint8");
  const zeroPoint = output.zeroPoint ?? 0;
  if (!(output.scale > 0) || !Number.isFinite(output.scale)) {
    throw new RangeError(`output.scale must be finite and > 0, got ${output.scale}`);
  }
  const stage = withMultiplierNames(
    () =>
      qlinearStage(a.scale[0], b.scale, n, output.scale, {
        mode: options.mode ?? "float",
        zeroPoint,
        dtype,
      }),
    "fl(fl(a.scale · b.scale) / output.scale)",
  );
  const out = dtype === "int8"
    ? new Int8Array(p.batches.length * m * n)
    : new Uint8Array(p.batches.length * m * n);
  const bZp = b.perChannel ? b.zeroPoint : b.zeroPoint[0];
  const make = () =>
    new QuantizedTensor({ q: out, shape: p.outShape, dtype, scale: output.scale, zeroPoint });
  // Empty tensors: no output, or K = 0 — every accumulator is 0, which requantizes to the
  // output zero point.
  if (out.length === 0) return make();
  if (k === 0) {
    out.fill(zeroPoint);
    return make();
  }
  p.batches.forEach(({ a: ia, b: ib }, t) => {
    checkGemmAccumulators({
      label: "qlinearMatMul(a, b)",
      m,
      n,
      k,
      a: aq.subarray(ia * m * k, (ia + 1) * m * k),
      b: bq.subarray(ib * k * n, (ib + 1) * k * n),
      aZeroPoint: a.zeroPoint[0],
      bZeroPoint: bZp,
      prefix: p.batches.length > 1 ? `[${t}; ` : "[",
      shift: stageShifts(stage),
    });
    gemmInt8Requantized(
      m,
      n,
      k,
      aq.subarray(ia * m * k, (ia + 1) * m * k),
      bq.subarray(ib * k * n, (ib + 1) * k * n),
      {
        aZeroPoint: a.zeroPoint[0],
        bZeroPoint: bZp,
        outputStage: stage,
        out: out.subarray(t * m * n, (t + 1) * m * n),
      },
    );
  });
  return make();
}

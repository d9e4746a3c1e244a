// Int32 accumulator overflow, error names and empty tensors of the integer ops. Truths are closed
// forms: a constant dot product of k terms c·d is k·c·d; the empty sum is 0.
import { deepEqual, equal, ok, throws } from "node:assert/strict";
import {
  add,
  concat,
  conv2d,
  convInteger,
  dequantizeLinear,
  fullyConnected,
  matMulInteger,
  mul,
  qlinearConv,
  qlinearMatMul,
  QuantizedTensor,
  quantizeLinear,
  requantizeScaled,
} from "./mod.ts";

const INT32_MAX = 2 ** 31 - 1;
const u8 = (n: number, v: number) => new Uint8Array(n).fill(v);
const i8 = (n: number, v: number) => new Int8Array(n).fill(v);
const qt = (q: Int8Array | Uint8Array, shape: number[], scale = 1, zeroPoint = 0) =>
  new QuantizedTensor({
    q,
    shape,
    dtype: q instanceof Int8Array ? "int8" : "uint8",
    scale,
    zeroPoint,
  });
const overflowOf = (label: RegExp, value: number) => (e: Error) =>
  e instanceof RangeError && label.test(e.message) && e.message.includes(String(value));

Deno.test("matMulInteger: a dot product beyond int32 is a RangeError, the largest that fits is exact", () => {
  // uint8 255 · 255 = 65025 per term: k = 33025 gives 2147450625 ≤ 2^31 − 1; k = 33026 gives
  // 2147515650 > 2^31 − 1 (it would wrap to −2147451646).
  const mm = (k: number, v = 255) =>
    matMulInteger({ data: u8(k, v), shape: [1, k] }, { data: u8(k, 255), shape: [k, 1] });
  equal(mm(33025).data[0], 33025 * 65025);
  throws(() => mm(33026), overflowOf(/matMulInteger\(a, b\).*\[0, 0\]/, 33026 * 65025));
  throws(() => mm(40000), overflowOf(/int32/, 40000 * 65025));
  // int8: (−128)² = 16384 per term; k = 131072 is exactly 2^31, one past int32.
  const s = (k: number) =>
    matMulInteger({ data: i8(k, -128), shape: [1, k] }, { data: i8(k, -128), shape: [k, 1] });
  equal(s(131071).data[0], 131071 * 16384);
  throws(() => s(131072), overflowOf(/matMulInteger/, 2 ** 31));
  // A large k whose actual sum fits is not rejected (the bound is only a first filter).
  const k = 40000;
  const a = new Uint8Array(k).map((_, i) => (i % 2 === 0 ? 255 : 0));
  equal(
    matMulInteger({ data: a, shape: [1, k] }, { data: u8(k, 255), shape: [k, 1] }).data[0],
    (k / 2) * 65025,
  );
  // Zero points count: (255 − 0)·(0 − 255) with bZeroPoint 255 is −65025 per term.
  throws(
    () =>
      matMulInteger({ data: u8(33026, 255), shape: [1, 33026] }, {
        data: u8(33026, 0),
        shape: [33026, 1],
      }, { bZeroPoint: 255 }),
    overflowOf(/matMulInteger/, -33026 * 65025),
  );
});

Deno.test("qlinearMatMul, fullyConnected: accumulator overflow and int32-max biases are RangeErrors", () => {
  const k = 33026;
  throws(
    () => qlinearMatMul(qt(u8(k, 255), [1, k]), qt(u8(k, 255), [k, 1]), { scale: 1 }),
    overflowOf(/qlinearMatMul\(a, b\)/, k * 65025),
  );
  const out = { scale: 1, zeroPoint: 0, dtype: "int8" as const };
  // bias 2^31 − 1 plus one product 1·1 is 2^31: it would wrap to −2^31 and give −128.
  throws(
    () =>
      fullyConnected(qt(i8(1, 1), [1, 1]), qt(i8(1, 1), [1, 1]), out, {
        bias: Int32Array.of(INT32_MAX),
      }),
    overflowOf(/fullyConnected\(x, weight, options\.bias\)/, 2 ** 31),
  );
  // bias 2^31 − 2 plus 1 = 2^31 − 1 fits int32 and saturates to 127 with a multiplier < 1 or
  // float requantization ...
  const fc = (o: typeof out, mode?: "fixed" | "float") =>
    fullyConnected(qt(i8(1, 1), [1, 1]), qt(i8(1, 1), [1, 1]), o, {
      bias: Int32Array.of(INT32_MAX - 1),
      mode,
    }).q;
  deepEqual([...fc({ ...out, scale: 2 ** 24 })], [127]); // 2^31 − 1 over 2^24 ≈ 128 → 127
  deepEqual([...fc(out, "float")], [127]);
  // ... but fixed-point requantization with multiplier 1 = 2^30 · 2^1 first doubles it in int32
  // (gemmlowp's left shift), which would wrap to −2 and give −1: a RangeError instead.
  throws(() => fc(out), overflowOf(/fullyConnected.*shifts it left by 1/, INT32_MAX));
  // A negative bias going below −2^31.
  throws(
    () =>
      fullyConnected(qt(i8(1, -1), [1, 1]), qt(i8(1, 1), [1, 1]), out, {
        bias: Int32Array.of(-(2 ** 31)),
      }),
    overflowOf(/fullyConnected/, -(2 ** 31) - 1),
  );
  // The accumulator itself: int8 (−128)² over k = 131072.
  throws(
    () => fullyConnected(qt(i8(131072, -128), [1, 131072]), qt(i8(131072, -128), [1, 131072]), out),
    overflowOf(/fullyConnected/, 2 ** 31),
  );
});

Deno.test("convInteger, qlinearConv, conv2d: accumulator overflow and int32-max biases are RangeErrors", () => {
  // A 1×k kernel over a 1×k input: one output, the dot product of k terms.
  const k = 33026;
  throws(
    () =>
      convInteger({ data: u8(k, 255), shape: [1, 1, 1, k] }, {
        data: u8(k, 255),
        shape: [1, 1, 1, k],
      }),
    overflowOf(/convInteger\(x, w\).*\[0, 0, 0, 0\]/, k * 65025),
  );
  equal(
    convInteger({ data: u8(33025, 255), shape: [1, 1, 1, 33025] }, {
      data: u8(33025, 255),
      shape: [1, 1, 1, 33025],
    }).data[0],
    33025 * 65025,
  );
  // The same sum spread over input channels (1×1 kernel, k channels).
  throws(
    () => qlinearConv(qt(u8(k, 255), [1, k, 1, 1]), qt(u8(k, 255), [1, k, 1, 1]), { scale: 1 }),
    overflowOf(/qlinearConv/, k * 65025),
  );
  throws(
    () =>
      qlinearConv(qt(u8(1, 1), [1, 1, 1, 1]), qt(u8(1, 1), [1, 1, 1, 1]), { scale: 1 }, {
        bias: Int32Array.of(INT32_MAX),
      }),
    overflowOf(/qlinearConv\(x, w, options\.bias\)/, 2 ** 31),
  );
  const out = { scale: 1, zeroPoint: 0, dtype: "int8" as const };
  throws(
    () =>
      conv2d(qt(i8(1, 1), [1, 1, 1, 1]), qt(i8(1, 1), [1, 1, 1, 1]), out, {
        bias: Int32Array.of(INT32_MAX),
      }),
    overflowOf(/conv2d\(x, weight, options\.bias\)/, 2 ** 31),
  );
  // Padding holds the zero point and adds nothing: a 3×3 kernel of 255 over a 1×1 input of 255
  // with padding 1 sums one term per output.
  deepEqual(
    [
      ...convInteger({ data: u8(1, 255), shape: [1, 1, 1, 1] }, {
        data: u8(9, 255),
        shape: [1, 1, 3, 3],
      }, { pads: [1, 1, 1, 1] }).data,
    ],
    [65025],
  );
});

Deno.test("errors name the user's arguments, not internal parameters", () => {
  const x = { data: u8(16, 0), shape: [1, 1, 4, 4] }, w = { data: u8(4, 0), shape: [1, 1, 2, 2] };
  const noInternal = (re: RegExp) => (e: Error) =>
    e instanceof RangeError && re.test(e.message) &&
    !/\bp\.|reals\[|inputZeroPoint|weightZeroPoint/.test(e.message);
  throws(() => convInteger(x, w, { strides: [0, 1] }), noInternal(/options\.strides/));
  throws(() => convInteger(x, w, { dilations: [1, 0] }), noInternal(/options\.dilations/));
  throws(() => convInteger(x, w, { xZeroPoint: 300 }), noInternal(/options\.xZeroPoint/));
  throws(() => convInteger(x, w, { xZeroPoint: 1.5 }), noInternal(/options\.xZeroPoint/));
  throws(() => convInteger(x, w, { wZeroPoint: -1 }), noInternal(/options\.wZeroPoint/));
  const qx = qt(i8(16, 0), [1, 1, 4, 4]), qw = qt(i8(4, 0), [1, 1, 2, 2]);
  const out = { scale: 1, zeroPoint: 0, dtype: "int8" as const };
  throws(() => conv2d(qx, qw, out, { stride: 0 }), noInternal(/options\.stride/));
  throws(() => conv2d(qx, qw, out, { padding: -1 }), noInternal(/options\.padding/));
  throws(() => conv2d(qx, qw, out, { dilation: [1, 0] }), noInternal(/options\.dilation/));
  throws(
    () =>
      qlinearConv(qt(u8(16, 0), [1, 1, 4, 4]), qt(u8(4, 0), [1, 1, 2, 2]), { scale: 1 }, {
        strides: [0, 1],
      }),
    noInternal(/options\.strides/),
  );
  // Multipliers S_a·S_b/S_y that overflow: the message names the scales.
  throws(
    () => qlinearMatMul(qt(u8(6, 0), [2, 3]), qt(u8(6, 0), [3, 2]), { scale: 1e-40 }),
    noInternal(/output\.scale/),
  );
  throws(
    () => fullyConnected(qt(i8(3, 0), [1, 3]), qt(i8(6, 0), [2, 3]), { ...out, scale: 1e-40 }),
    noInternal(/out\.scale/),
  );
  throws(
    () => qlinearConv(qx, qw, { scale: 1e-40 }),
    noInternal(/output\.scale/),
  );
});

Deno.test("empty tensors: MatMulInteger, QLinearMatMul, QuantizeLinear/DequantizeLinear, fullyConnected and convs with a zero-size dimension", () => {
  const b = { data: u8(6, 1), shape: [3, 2] };
  const e = matMulInteger({ data: new Uint8Array(0), shape: [0, 3] }, b);
  deepEqual([e.data.length, e.shape], [0, [0, 2]]);
  // K = 0: the empty sum is 0 everywhere.
  const k0 = matMulInteger({ data: new Uint8Array(0), shape: [2, 0] }, {
    data: new Uint8Array(0),
    shape: [0, 3],
  });
  deepEqual([[...k0.data], k0.shape], [[0, 0, 0, 0, 0, 0], [2, 3]]);
  const n0 = matMulInteger({ data: u8(6, 1), shape: [2, 3] }, {
    data: new Uint8Array(0),
    shape: [3, 0],
  });
  deepEqual(n0.shape, [2, 0]);
  const q = qlinearMatMul(qt(new Uint8Array(0), [0, 3]), qt(u8(6, 1), [3, 2]), { scale: 1 });
  deepEqual([q.q.length, q.shape], [0, [0, 2]]);
  // K = 0 requantizes accumulators of 0 to the output zero point.
  const qk0 = qlinearMatMul(qt(new Uint8Array(0), [2, 0]), qt(new Uint8Array(0), [0, 2]), {
    scale: 0.5,
    zeroPoint: 7,
  });
  deepEqual([...qk0.q], [7, 7, 7, 7]);
  const ql = quantizeLinear({ data: new Float32Array(0), shape: [0, 3] }, 0.5, 3);
  deepEqual([ql.q.length, ql.shape], [0, [0, 3]]);
  equal(dequantizeLinear(ql).length, 0);
  const fc = fullyConnected(qt(new Int8Array(0), [0, 3]), qt(i8(6, 1), [2, 3]), {
    scale: 1,
    zeroPoint: 0,
    dtype: "int8",
  });
  deepEqual([fc.q.length, fc.shape], [0, [0, 2]]);
  const ci = convInteger({ data: new Uint8Array(0), shape: [0, 1, 4, 4] }, {
    data: u8(4, 1),
    shape: [1, 1, 2, 2],
  });
  deepEqual([ci.data.length, ci.shape], [0, [0, 1, 3, 3]]);
  const qc = qlinearConv(qt(new Uint8Array(0), [0, 1, 4, 4]), qt(u8(4, 1), [1, 1, 2, 2]), {
    scale: 1,
  });
  deepEqual([qc.q.length, qc.shape], [0, [0, 1, 3, 3]]);
  const c2 = conv2d(qt(new Int8Array(0), [0, 1, 4, 4]), qt(i8(4, 1), [1, 1, 2, 2]), {
    scale: 1,
    zeroPoint: 0,
    dtype: "int8",
  });
  deepEqual([c2.q.length, c2.shape], [0, [0, 1, 3, 3]]);
  ok(true);
});

Deno.test("elementwise and I-BERT requantization: unusable multipliers name the scales; gemmlowp's left shift never wraps", () => {
  const t = (v: number[], scale = 1) => qt(Int8Array.from(v), [v.length], scale);
  const tiny = { scale: 1e-40, zeroPoint: 0, dtype: "int8" as const };
  const names = (re: RegExp) => (e: Error) =>
    e instanceof RangeError && re.test(e.message) && !/^real /.test(e.message);
  throws(() => add(t([1, 2]), t([3, 4]), tiny), names(/out\.scale/));
  throws(() => concat([t([1, 2])], 0, tiny), names(/out\.scale/));
  throws(() => mul(t([1]), t([1]), tiny, { mode: "fixed" }), names(/out\.scale/));
  throws(() => requantizeScaled({ q: Int32Array.of(1), scale: 1 }, tiny), names(/out\.scale/));
  // mul, fixed point: 127 · 127 = 16129 times the multiplier 2^17 (shift 18 after the Q31
  // mantissa 2^30) would need 16129 · 2^18 > 2^31 in int32: an error, not a wrapped code.
  const out = { scale: 2 ** -17, zeroPoint: 0, dtype: "int8" as const };
  throws(
    () => mul(t([127]), t([127]), out, { mode: "fixed" }),
    (e: Error) =>
      e instanceof RangeError && /mul\(a, b, out\).*shifts it left by 18/.test(e.message),
  );
  // The float path computes the same product exactly and saturates: 127.
  deepEqual([...mul(t([127]), t([127]), out, { mode: "float" }).q], [127]);
  // Small products still pass with the same multiplier: 1 · 1 · 2^17 saturates to 127.
  deepEqual([...mul(t([1]), t([1]), out, { mode: "fixed" }).q], [127]);
  throws(
    () => requantizeScaled({ q: Int32Array.of(2 ** 20), scale: 1 }, { ...out, scale: 2 ** -12 }),
    /requantizeScaled\(x, out\)/,
  );
});

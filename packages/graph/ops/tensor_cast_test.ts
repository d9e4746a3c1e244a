import { deepEqual, throws } from "node:assert/strict";
import type { GraphTensor } from "../ir.ts";
import { TENSOR_OPS } from "./tensor.ts";

const cast = (x: GraphTensor, to: number) =>
  TENSOR_OPS.Cast.run(
    { name: "c", op: "Cast", inputs: ["x"], outputs: ["y"], attrs: { to } },
    [x],
    { opset: 13 },
  )[0];
const f32 = (v: number[]): GraphTensor => ({
  dtype: "float32",
  shape: [v.length],
  data: Float32Array.from(v),
});

Deno.test("Cast float → integers truncates toward zero; NaN and infinities give 0", () => {
  const x = f32([-2.9, -0.5, 0.5, 2.9, 127.9]);
  deepEqual([...cast(x, 6).data], [-2, 0, 0, 2, 127]);
  deepEqual([...cast(x, 3).data], [-2, 0, 0, 2, 127]);
  deepEqual([...cast(x, 7).data], [-2n, 0n, 0n, 2n, 127n]);
  deepEqual([...cast(f32([1.9, 255.5]), 2).data], [1, 255]);
  deepEqual([...cast(f32([NaN, Infinity]), 7).data], [0n, 0n]);
  deepEqual([...cast(f32([0, -0, 0.1, NaN]), 9).data], [0, 0, 1, 1]);
});

Deno.test("Cast to float16 rounds to nearest even; float16 → float32 and double exact", () => {
  // 1 + 2^-11 is halfway between 1 and 1 + 2^-10: ties to even (1); 1 + 3·2^-11 → 1 + 2^-9.
  const h = cast(f32([1 + 2 ** -11, 1 + 3 * 2 ** -11, 65520, 1e-8]), 10);
  deepEqual([...h.data], [0x3c00, 0x3c02, 0x7c00, 0]);
  deepEqual([...cast(h, 1).data], [1, 1 + 2 ** -9, Infinity, 0]);
  const d: GraphTensor = { dtype: "float64", shape: [1], data: Float64Array.of(1 + 2 ** -30) };
  deepEqual([...cast(d, 1).data], [1]);
  deepEqual([...cast(f32([0.1]), 11).data], [Math.fround(0.1)]);
});

Deno.test("Cast between integers wraps; int64 → int32; bool → float; unsupported types throw", () => {
  const big: GraphTensor = { dtype: "int64", shape: [2], data: BigInt64Array.of(4294967297n, -1n) };
  deepEqual([...cast(big, 6).data], [1, -1]);
  deepEqual([...cast(big, 1).data], [4294967296, -1]);
  const i: GraphTensor = { dtype: "int32", shape: [2], data: Int32Array.of(300, -129) };
  deepEqual([...cast(i, 3).data], [44, 127]);
  deepEqual([...cast(i, 22).data], [-4, -1]);
  const b: GraphTensor = { dtype: "bool", shape: [2], data: Uint8Array.of(1, 0) };
  deepEqual([...cast(b, 1).data], [1, 0]);
  throws(() => cast(i, 8), /node c, value y: ONNX data type 8 is not supported/);
});

import { deepEqual, throws } from "node:assert/strict";
import { quantizeBias } from "./convert.ts";
import { QuantizedTensor } from "./quantized_tensor.ts";

Deno.test("quantizeBias: one bias per output channel, a valid input scale; errors name the layer", () => {
  const perChannel = new QuantizedTensor({
    q: new Int8Array(6),
    shape: [3, 2],
    dtype: "int8",
    scale: new Float32Array([0.5, 0.25, 1]),
    axis: 0,
  });
  const perTensor = new QuantizedTensor({
    q: new Int8Array(6),
    shape: [3, 2],
    dtype: "int8",
    scale: 0.5,
  });
  // 1 / (0.5·0.5) = 4, 1 / (0.5·0.25) = 8, 1 / (0.5·1) = 2
  deepEqual([...quantizeBias(Float32Array.of(1, 1, 1), 0.5, perChannel, "fc")], [4, 8, 2]);
  deepEqual([...quantizeBias(Float32Array.of(1, -1, 0.125), 0.5, perTensor, "fc")], [4, -4, 0]);
  throws(
    () => quantizeBias(Float32Array.of(1, 1), 0.5, perChannel, "fc"),
    /layer "fc": bias has 2 elements, the weights have 3 output channels/,
  );
  throws(
    () => quantizeBias(Float32Array.of(1, 1, 1, 1), 0.5, perTensor, "fc"),
    /bias has 4 elements, the weights have 3 output channels/,
  );
  throws(
    () => quantizeBias(Float32Array.of(1, 1, 1), 0, perTensor, "fc"),
    /layer "fc": inputScale must be finite and > 0/,
  );
  throws(() => quantizeBias(Float32Array.of(1, 1, 1), NaN, perTensor, "fc"), /inputScale/);
  throws(() => quantizeBias(Float32Array.of(3e9, 0, 0), 1, perTensor, "fc"), /does not fit int32/);
});

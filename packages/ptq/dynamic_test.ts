import { runFloat } from "@lowbit/graph";
import { deepEqual, equal, ok } from "node:assert/strict";
import { quantizeDynamic } from "./dynamic.ts";
import { convReluGemm, residual, samples } from "./_fixtures_test_util.ts";

Deno.test("quantizeDynamic: DynamicQuantizeLinear → DQ before MatMul/Gemm/Conv, weights int8", () => {
  const g = convReluGemm();
  const q = quantizeDynamic(g);
  equal(g.nodes.length, 4);
  deepEqual(
    q.nodes.filter((n) => n.op === "DynamicQuantizeLinear").map((n) => n.inputs[0]),
    ["x", "f"],
  );
  equal(q.initializers.get("W_conv_quantized")?.dtype, "int8");
  equal(q.initializers.get("W2_gemm_zero_point")?.dtype, "int8");
  ok(q.initializers.has("B"));
  for (const s of samples(3, [1, 1, 3, 3])) {
    const yq = runFloat(q, s).y.data as Float32Array;
    const yf = runFloat(g, s).y.data as Float32Array;
    yq.forEach((v, i) => ok(Math.abs(v - yf[i]) < 0.05, `${v} vs ${yf[i]}`));
  }
});

Deno.test("quantizeDynamic: exclude and per-node float leave nodes untouched", () => {
  const q = quantizeDynamic(residual(), { excludeOpTypes: ["MatMul"] });
  equal(q.nodes.length, 3);
  const q2 = quantizeDynamic(convReluGemm(), { nodes: { conv: { float: true } } });
  ok(q2.initializers.has("W") && q2.initializers.has("W2_gemm_quantized"));
  const q3 = quantizeDynamic(residual(), { weights: { dtype: "int4", granularity: "per-tensor" } });
  equal(q3.initializers.get("W_mm_quantized")?.dtype, "int4");
  deepEqual(q3.initializers.get("W_mm_scale")?.shape, []);
});

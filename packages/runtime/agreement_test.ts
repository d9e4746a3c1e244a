import { equal, ok } from "node:assert/strict";
import { agreementReport } from "./agreement.ts";
import { convertModel } from "./convert.ts";
import type { FloatModel } from "./model.ts";

// Regression: with a conv output [N, C, H, W] the top-1 count ran over N·C·H rows but was
// divided by N (8425% on a real model). Fractions must stay within [0, 1].
Deno.test("agreementReport: top-1 over the last axis of a non-classifier output is a fraction", () => {
  const model: FloatModel = {
    inputShape: [2, 4, 4],
    layers: [{
      kind: "conv2d",
      name: "conv",
      weight: new Float32Array([0.5, -0.25, 0.75, 0.1, -0.6, 0.3, 0.2, 0.9]),
      weightShape: [4, 2, 1, 1],
      padding: 0,
    }],
  };
  const n = 3;
  const data = new Float32Array(n * 2 * 4 * 4);
  let s = 7;
  for (let i = 0; i < data.length; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    data[i] = s / 2147483648 * 2 - 1;
  }
  const x = { data, shape: [n, 2, 4, 4] };
  const r = agreementReport(model, convertModel(model, [x]), x);
  equal(r.count, n);
  for (const v of Object.values(r.top1)) ok(v >= 0 && v <= 1, `top-1 fraction ${v}`);
  equal(r.rows, n * 4 * 4);
  ok(r.top1.simulatedVsInteger > 0.5);
});

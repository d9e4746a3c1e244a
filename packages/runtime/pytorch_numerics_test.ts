// fused.ts's PyTorch numerics (`floatBias`) against torch 2.13's fbgemm engine: quantized
// Linear, Linear+ReLU (per-channel and per-tensor weights), Conv2d (stride, padding) and a
// depthwise Conv2d (see the last test), on seeded random codes (testdata/pytorch_fbgemm.json, written by
// scripts/reference/pytorch_fbgemm.py). Every output code must be equal; the int32-bias path
// (bias rounded to S_x·S_w first, onnxruntime/TFLite style) must differ somewhere, which
// shows the data can tell the two apart.
import { equal, ok, throws } from "node:assert/strict";
import { conv2d, fullyConnected } from "./fused.ts";
import { quantizeBias } from "./convert.ts";
import { QuantizedTensor } from "./quantized_tensor.ts";

interface Case {
  name: string;
  kind: "linear" | "conv2d";
  x: { shape: number[]; scale: number; zeroPoint: number; q: number[] };
  weight: { shape: number[]; scale: number[]; q: number[] };
  bias: number[];
  out: { scale: number; zeroPoint: number };
  geometry: { relu?: boolean; stride?: number; padding?: number; groups?: number };
  y: number[];
}

const data = JSON.parse(
  Deno.readTextFileSync(new URL("./testdata/pytorch_fbgemm.json", import.meta.url)),
) as { cases: Case[] };

function tensors(c: Case) {
  const x = new QuantizedTensor({
    q: Uint8Array.from(c.x.q),
    shape: c.x.shape,
    dtype: "uint8",
    scale: c.x.scale,
    zeroPoint: c.x.zeroPoint,
  });
  const perChannel = c.weight.scale.length > 1;
  const w = new QuantizedTensor({
    q: Int8Array.from(c.weight.q),
    shape: c.weight.shape,
    dtype: "int8",
    scale: perChannel ? Float32Array.from(c.weight.scale) : c.weight.scale[0],
    ...(perChannel ? { axis: 0 } : {}),
  });
  return { x, w, out: { ...c.out, dtype: "uint8" as const } };
}

function run(c: Case, bias: { floatBias: Float32Array } | { bias: Int32Array; mode: "float" }) {
  const { x, w, out } = tensors(c);
  const activation = c.geometry.relu ? "relu" as const : "none" as const;
  return c.kind === "linear"
    ? fullyConnected(x, w, out, { ...bias, activation })
    : conv2d(x, w, out, {
      ...bias,
      stride: c.geometry.stride,
      padding: c.geometry.padding,
      groups: c.geometry.groups,
    });
}

const depthwise = (c: Case) => (c.geometry.groups ?? 1) > 1;

Deno.test("floatBias: every output code equals torch fbgemm's (Linear, Linear+ReLU, Conv2d)", () => {
  ok(data.cases.length >= 7);
  let intBiasDiffers = 0;
  for (const c of data.cases.filter((c) => !depthwise(c))) {
    const y = run(c, { floatBias: Float32Array.from(c.bias) });
    equal(y.q.length, c.y.length, c.name);
    const wrong = c.y.findIndex((v, i) => y.q[i] !== v);
    equal(wrong, -1, `${c.name}: output ${wrong} is ${y.q[wrong]}, torch ${c.y[wrong]}`);
    // the same layer with the bias rounded to int32 at S_x·S_w (onnxruntime-style)
    const { x, w } = tensors(c);
    const intBias = quantizeBias(Float32Array.from(c.bias), x.scale[0], w, c.name);
    const z = run(c, { bias: intBias, mode: "float" });
    intBiasDiffers += c.y.filter((v, i) => z.q[i] !== v).length;
  }
  ok(
    intBiasDiffers > 0,
    "the int32-bias path matched torch everywhere: the data cannot tell them apart",
  );
});

Deno.test("floatBias: bad arguments are rejected naming them", () => {
  const c = data.cases[0];
  const { x, w, out } = tensors(c);
  const b = Float32Array.from(c.bias);
  throws(
    () => fullyConnected(x, w, out, { floatBias: b.subarray(1) }),
    /options\.floatBias must have one value per output channel/,
  );
  throws(
    () => fullyConnected(x, w, out, { floatBias: b, bias: new Int32Array(b.length) }),
    /options\.bias and options\.floatBias/,
  );
  throws(
    () => fullyConnected(x, w, out, { floatBias: b, mode: "fixed" }),
    /options\.mode must be omitted/,
  );
  throws(
    () => fullyConnected(x, w, out, { floatBias: [...b] as unknown as Float32Array }),
    TypeError,
  );
  const nan = b.slice();
  nan[3] = NaN;
  throws(
    () => fullyConnected(x, w, out, { floatBias: nan }),
    /options\.floatBias\[3\] must be finite/,
  );
});

// fbgemm's depthwise kernels sum u8×i8 products in pairs into int16 with saturation
// (x86 `vpmaddubsw`), so a large positive pair sum is clipped at 32767 and torch's output
// comes out lower; lowbit's accumulators are exact int32. Every other output agrees.
Deno.test("floatBias, depthwise: torch differs only downwards (int16 pair saturation), on < 5% of outputs", () => {
  const cases = data.cases.filter(depthwise);
  ok(cases.length >= 1);
  for (const c of cases) {
    const y = run(c, { floatBias: Float32Array.from(c.bias) });
    const diff = c.y.map((v, i) => v - y.q[i]).filter((d) => d !== 0);
    ok(diff.every((d) => d < 0), `${c.name}: torch above lowbit somewhere: ${diff}`);
    ok(diff.length < 0.05 * c.y.length, `${c.name}: ${diff.length} of ${c.y.length} differ`);
  }
});

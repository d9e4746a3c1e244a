// Notebook 03 reads MoveNet's convolution filters through the package reader
// (`@lowbit/onnx/tfjs`) and converts each ONNX Conv filter back to TensorFlow order. These tests
// check that round trip against the fp16 bytes of the shard decoded here by hand.
import { deepEqual, equal, ok } from "node:assert/strict";
import { loadTfjs } from "@lowbit/onnx/tfjs";
import { npmFile } from "./repo.ts";

interface Spec {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { dtype: string };
}

Deno.test("MoveNet Lightning via @lowbit/onnx/tfjs: Conv filters back in TF order equal the shard's fp16", async () => {
  const path = npmFile("@vladmandic/human", "models/movenet-lightning.json");
  const json = JSON.parse(await Deno.readTextFile(path)) as {
    weightsManifest: { paths: string[]; weights: Spec[] }[];
    modelTopology: { node: { name: string; op: string; input?: string[] }[] };
  };
  equal(json.weightsManifest.length, 1);
  const bin = await Deno.readFile(npmFile("@vladmandic/human", "models/movenet-lightning.bin"));
  const view = new DataView(bin.buffer, bin.byteOffset, bin.byteLength);
  const raw = new Map<string, Float32Array>();
  let offset = 0;
  for (const s of json.weightsManifest[0].weights) {
    const n = s.shape.reduce((a, b) => a * b, 1);
    const half = s.quantization?.dtype === "float16";
    const f = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      f[i] = half ? view.getFloat16(offset + 2 * i, true) : view.getInt32(offset + 4 * i, true);
    }
    raw.set(s.name, f);
    offset += n * (half ? 2 : 4);
  }
  equal(offset, bin.byteLength); // every byte accounted for

  const graph = await loadTfjs(path);
  const convs = graph.nodes.filter((n) => n.op === "Conv");
  equal(convs.length, 74);
  equal(convs.filter((n) => n.attrs.group !== 1).length, 24); // 7 + 17 depthwise
  const tfConvs = json.modelTopology.node.filter((n) => /Conv2D|Depthwise/.test(n.op));
  deepEqual(convs.map((n) => n.name), tfConvs.map((n) => n.name)); // same nodes, same order
  for (const [k, node] of convs.entries()) {
    const w = graph.initializers.get(node.inputs[1])!;
    const [cout, cg, kh, kw] = w.shape;
    const src = w.data as Float32Array;
    const tf = raw.get(tfConvs[k].input![1])!;
    for (let o = 0; o < cout; o++) {
      for (let c = 0; c < cg; c++) {
        for (let a = 0; a < kh; a++) {
          for (let b = 0; b < kw; b++) {
            const got = src[((o * cg + c) * kh + a) * kw + b];
            if (got !== tf[((a * kw + b) * cg + c) * cout + o]) {
              throw new Error(`${node.name}: filter element (${o}, ${c}, ${a}, ${b}) differs`);
            }
          }
        }
      }
    }
  }
  // the first convolution is the 3×3 stem on RGB input
  const stem = graph.initializers.get(convs[0].inputs[1])!;
  deepEqual(stem.shape.slice(1), [3, 3, 3]);
  ok(convs.every((n) => graph.initializers.get(n.inputs[1])!.data.every(Number.isFinite)));
});

import { deepEqual, equal, ok, throws } from "node:assert/strict";
import {
  convLayers,
  decodeWeights,
  filterMatrix,
  loadTfjsModel,
  type TfjsWeightGroup,
} from "./tfjs.ts";
import { npmFile } from "./repo.ts";

// A hand-assembled manifest: group 0 = float16 [2] + int32 [1] split over two shards, group 1 =
// uint8-affine [3] + float32 [1]. Bytes written by hand (little endian).
const manifest: TfjsWeightGroup[] = [
  {
    paths: ["a", "b"],
    weights: [
      { name: "h", shape: [2], dtype: "float32", quantization: { dtype: "float16" } },
      { name: "i", shape: [1], dtype: "int32" },
    ],
  },
  {
    paths: ["c"],
    weights: [
      {
        name: "u",
        shape: [3],
        dtype: "float32",
        quantization: { dtype: "uint8", scale: 0.5, min: -1 },
      },
      { name: "f", shape: [1, 1], dtype: "float32" },
    ],
  },
];
// 1.5 = 0x3E00, -65504 = 0xFBFF (fp16); -2 = 0xFFFFFFFE; 0.25 = 0x3E800000 (fp32)
const g0 = new Uint8Array([0x00, 0x3e, 0xff, 0xfb, 0xfe, 0xff, 0xff, 0xff]);
const g1 = new Uint8Array([0, 3, 255, 0x00, 0x00, 0x80, 0x3e]);

Deno.test("decodeWeights: float16, int32, uint8 affine and float32 from hand-written bytes", () => {
  const w = decodeWeights(manifest, [g0, g1]);
  deepEqual([...w.keys()], ["h", "i", "u", "f"]);
  deepEqual([...w.get("h")!.data], [1.5, -65504]);
  equal(w.get("h")!.storedAs, "float16");
  deepEqual([...w.get("i")!.data], [-2]);
  equal(w.get("i")!.dtype, "int32");
  deepEqual([...w.get("u")!.data], [-1, 0.5, 126.5]); // q · 0.5 − 1
  deepEqual([...w.get("f")!.data], [0.25]);
  deepEqual(w.get("f")!.shape, [1, 1]);
});

Deno.test("decodeWeights rejects short, long and unsupported data", () => {
  throws(() => decodeWeights(manifest, [g0.subarray(0, 7), g1]), /weight i needs bytes 4\.\.8/);
  throws(
    () => decodeWeights(manifest, [new Uint8Array([...g0, 0]), g1]),
    /use 8 bytes; the shards hold 9/,
  );
  throws(() => decodeWeights(manifest, [g0]), /one buffer per manifest group \(2\); got 1/);
  throws(
    () =>
      decodeWeights([{ paths: [], weights: [{ name: "s", shape: [1], dtype: "string" }] }], [
        new Uint8Array(4),
      ]),
    TypeError,
  );
});

Deno.test("MoveNet Lightning (npm @vladmandic/human): every byte of the shard is accounted for", async () => {
  const path = npmFile("@vladmandic/human", "models/movenet-lightning.json");
  const bin = await Deno.stat(npmFile("@vladmandic/human", "models/movenet-lightning.bin"));
  const model = await loadTfjsModel(path); // throws unless the weights use exactly all bytes
  let bytes = 0;
  for (const w of model.weights.values()) {
    bytes += w.data.length * (w.storedAs === "float16" ? 2 : 4);
  }
  equal(bytes, bin.size);
  const layers = convLayers(model);
  const depthwise = layers.filter((l) => l.kind === "depthwise");
  // graph ops: 7 DepthwiseConv2dNative + 17 FusedDepthwiseConv2dNative, 50 _FusedConv2D
  equal(depthwise.length, 24);
  equal(layers.length - depthwise.length, 50);
  for (const l of depthwise) {
    equal(l.filter.shape[3], 1);
    const m = filterMatrix(l);
    equal(m.shape[0] * m.shape[1], l.filter.data.length);
    equal(m.shape[1], l.filter.shape[2]);
  }
  // the first convolution is the 3×3 stem on RGB input
  ok(
    layers[0].filter.shape[0] === 3 && layers[0].filter.shape[2] === 3,
    `${layers[0].filter.shape}`,
  );
  ok(layers.every((l) => l.filter.data.every(Number.isFinite)));
});

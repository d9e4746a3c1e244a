import { deepEqual, equal, throws } from "node:assert/strict";
import { runFloat } from "@lowbit/graph";
import { decodeSafetensors, encodeSafetensors } from "@lowbit/nn/safetensors";
import { adaround } from "./adaround.ts";
import { quantizeStatic } from "./static.ts";
import { quantizeWeight } from "./weights.ts";
import { decodeWeightCodes, encodeWeightCodes } from "./weight_codes_file.ts";
import { convReluGemm, samples } from "./_fixtures_test_util.ts";

Deno.test("AdaRound codes survive the file bit for bit and quantize to the same graph", async () => {
  const g = convReluGemm();
  const calib = samples(8, [1, 1, 3, 3]);
  const r = await adaround(g, calib, { bits: 3, iterations: 50, seed: 2 });
  const back = decodeWeightCodes(encodeWeightCodes(r.weights, { command: "test" }));
  deepEqual([...back.weights.keys()], [...r.weights.keys()]);
  for (const [n, q] of r.weights) deepEqual(back.weights.get(n), q);
  const a = await quantizeStatic(g, calib, { weights: { bits: 3 }, nodes: r.overrides });
  const b = await quantizeStatic(g, calib, { weights: { bits: 3 }, nodes: back.overrides });
  const x = samples(1, [1, 1, 3, 3])[0];
  deepEqual([...runFloat(b, x).y.data], [...runFloat(a, x).y.data]);
  deepEqual(back.metadata, { command: "test" });
});

Deno.test("weight codes: int4 per-tensor grids round-trip with their dtype", () => {
  const w = { dtype: "float32" as const, shape: [3], data: Float32Array.of(0.3, -1, 0.7) };
  const q = quantizeWeight(w, 0, { dtype: "int4", granularity: "per-tensor" });
  const back = decodeWeightCodes(encodeWeightCodes(new Map([["mm", q]])));
  deepEqual(back.weights.get("mm"), q);
  equal(back.weights.get("mm")!.grid.dtype, "int4");
});

Deno.test("weight codes: bad input is rejected naming what is wrong", () => {
  const w = { dtype: "float32" as const, shape: [2], data: Float32Array.of(1, 2) };
  const q = quantizeWeight(w, 0);
  throws(() => encodeWeightCodes(new Map([["a/b", q]])), /node name "a\/b"/);
  throws(
    () => encodeWeightCodes(new Map([["a", q]]), { "lowbit.weight_codes": "{}" }),
    /reserved key/,
  );
  const bytes = encodeWeightCodes(new Map([["fc", q]]));
  const { tensors, metadata } = decodeSafetensors(bytes);
  tensors.delete("fc/scale");
  throws(
    () => decodeWeightCodes(encodeSafetensors(tensors, metadata)),
    /node fc: scale is missing/,
  );
  throws(() => decodeWeightCodes(new Uint8Array(3)), RangeError);
});

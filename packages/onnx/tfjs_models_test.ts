// Imported tfjs graph models vs TensorFlow.js 4.22 (CPU backend) on seeded random inputs and a
// real photo: max |Δ| ≤ 1e-4 × output range for every output.
import { ok } from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import jpeg from "jpeg-js";
import { checkSupported, runFloat } from "@lowbit/graph/executor";
import type { Graph } from "@lowbit/graph/ir";
import { importTfjs } from "./tfjs.ts";

const DIR = new URL("../../node_modules/@vladmandic/human/models/", import.meta.url).pathname;

interface Loaded {
  graph: Graph;
  tfModel: tf.GraphModel;
}

async function load(name: string): Promise<Loaded> {
  const json = JSON.parse(await Deno.readTextFile(`${DIR}${name}.json`));
  const shards: Uint8Array[] = [];
  for (const g of json.weightsManifest) {
    for (const p of g.paths) shards.push(await Deno.readFile(`${DIR}${p}`));
  }
  const all = new Uint8Array(shards.reduce((a, s) => a + s.length, 0));
  let o = 0;
  for (const s of shards) (all.set(s, o), o += s.length);
  await tf.setBackend("cpu");
  const tfModel = await tf.loadGraphModel(
    tf.io.fromMemory({
      modelTopology: json.modelTopology,
      weightSpecs: json.weightsManifest.flatMap((g: { weights: unknown[] }) => g.weights),
      weightData: all.buffer,
      format: json.format,
      generatedBy: json.generatedBy,
      convertedBy: json.convertedBy,
      signature: json.signature,
      userDefinedMetadata: json.userDefinedMetadata,
    }),
  );
  return { graph: importTfjs(json, shards), tfModel };
}

/** Seeded uniform integers/floats in [lo, hi). */
function random(n: number, seed: number, lo: number, hi: number, int: boolean) {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const u = s / 2 ** 32;
    out[i] = int ? Math.floor(lo + u * (hi - lo)) : lo + u * (hi - lo);
  }
  return out;
}

async function photo(h: number, w: number): Promise<Float32Array> {
  const img = jpeg.decode(await Deno.readFile("/usr/share/darknet/data/dog.jpg"), {
    useTArray: true,
  });
  const out = new Float32Array(h * w * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const sy = Math.floor((y * img.height) / h), sx = Math.floor((x * img.width) / w);
      for (let c = 0; c < 3; c++) {
        out[(y * w + x) * 3 + c] = img.data[(sy * img.width + sx) * 4 + c];
      }
    }
  }
  return out;
}

function compare(
  { graph, tfModel }: Loaded,
  input: Float32Array,
  label: string,
): string[] {
  const inInfo = graph.inputs[0];
  const shape = inInfo.shape as number[];
  const int = inInfo.dtype === "int32";
  const x = tf.tensor(input, shape, int ? "int32" : "float32");
  const names = graph.outputs.map((o) => o.name);
  const ref = tfModel.execute(x, names);
  const refs = Array.isArray(ref) ? ref : [ref];
  const data = int ? Int32Array.from(input) : input;
  const got = runFloat(graph, { [inInfo.name]: { data, shape } });
  const lines: string[] = [];
  for (let k = 0; k < names.length; k++) {
    const r = refs[k].dataSync() as Float32Array;
    const g = got[names[k]].data as Float32Array;
    ok(g.length === r.length, `${label} ${names[k]}: ${g.length} vs ${r.length} elements`);
    let lo = Infinity, hi = -Infinity, d = 0;
    for (let i = 0; i < r.length; i++) {
      lo = Math.min(lo, r[i]);
      hi = Math.max(hi, r[i]);
      d = Math.max(d, Math.abs(r[i] - g[i]));
    }
    const range = hi - lo || 1;
    lines.push(`${label} ${names[k]}: max|Δ| ${d.toExponential(2)}, range ${range.toFixed(3)}`);
    ok(d <= 1e-4 * range, lines[lines.length - 1]);
  }
  tf.dispose([x, ...refs]);
  return lines;
}

for (const [name, lo, hi] of [["movenet-lightning", 0, 256], ["blazeface", -1, 1]] as const) {
  const loaded = await load(name);
  Deno.test({
    name: `${name}: runFloat of the imported graph equals tfjs (seeded random, dog.jpg)`,
    fn: async () => {
      checkSupported(loaded.graph);
      const shape = loaded.graph.inputs[0].shape as number[];
      const n = shape.reduce((a, b) => a * b, 1);
      const int = loaded.graph.inputs[0].dtype === "int32";
      const lines = [
        ...compare(loaded, random(n, 1, lo, hi, int), "random"),
      ];
      const img = await photo(shape[1], shape[2]);
      const scaled = lo < 0 ? img.map((v) => v / 127.5 - 1) : img;
      lines.push(...compare(loaded, scaled, "dog.jpg"));
      console.log(lines.join("\n"));
    },
  });
}

import { deepEqual, equal, throws } from "node:assert/strict";
import { Philox } from "@lowbit/rounding/philox";
import {
  argmaxHeads,
  clsInput,
  ctcGreedy,
  ocrKeys,
  randomText,
  renderLine,
  textLines,
} from "./ocr_data.ts";

Deno.test("ctcGreedy collapses repeats and drops blanks (hand example)", () => {
  // classes: 0 blank, 1 'a', 2 'b'; path a a blank a b b → "aab"
  const path = [1, 1, 0, 1, 2, 2];
  const probs = new Float32Array(path.length * 3);
  path.forEach((c, t) => (probs[t * 3 + c] = 1));
  equal(ctcGreedy(probs, path.length, 3, ["a", "b"]), "aab");
});

Deno.test("ocrKeys: 6623 keys plus the appended space; class 1 is the first key", () => {
  const keys = ocrKeys();
  equal(keys.length, 6624);
  equal(keys.at(-1), " ");
  equal(keys.includes("A") && keys.includes("a") && keys.includes("7"), true);
});

Deno.test("renderLine: width is the sum of the glyph widths plus margins; unknown characters rejected", () => {
  // darknet size-7 glyphs: "A" 62 px, "i" 17 px wide, 84 px tall
  const img = renderLine("Ai", { size: 7, margin: 3 });
  deepEqual([img.width, img.height], [62 + 17 + 6, 84 + 6]);
  throws(() => renderLine("é"), /text must hold printable ASCII/);
});

Deno.test("textLines and randomText are reproducible from the seed", () => {
  deepEqual(
    textLines(3, new Philox(5, 1)).map((l) => l.text),
    textLines(3, new Philox(5, 1)).map((l) => l.text),
  );
  for (let i = 0; i < 50; i++) equal(randomText(new Philox(i, 2), 10).length <= 10, true);
});

Deno.test("clsInput pads on the right with zeros after normalisation", () => {
  const img = renderLine("ab", { size: 3 });
  const x = clsInput(img);
  deepEqual(x.shape, [1, 3, 48, 192]);
  const rw = Math.ceil(48 * img.width / img.height);
  equal(x.data[rw - 1] !== 0, true); // paper pixel, (v/255 − 0.5)/0.5 ≈ 1
  equal(x.data[191], 0);
});

Deno.test("argmaxHeads: the nodes feeding an ArgMax back to the first Conv of each path (hand graph)", () => {
  const node = (name: string, op: string, inputs: string[]) => ({
    name,
    op,
    inputs,
    outputs: [name],
    attrs: {},
  });
  // backbone conv → head conv → sigmoid → mul(const) → argmax; a side head joins through a Div
  const g = {
    name: "h",
    opset: 13,
    inputs: [{ name: "x", dtype: "float32" as const, shape: [1, 1, 4, 4] }],
    outputs: [{ name: "am", dtype: "float32" as const, shape: [] }],
    nodes: [
      node("backbone", "Conv", ["x", "w0"]),
      node("head", "Conv", ["backbone", "w1"]),
      node("sig", "Sigmoid", ["head"]),
      node("side", "Conv", ["backbone", "w2"]),
      node("div", "Div", ["sig", "side"]),
      node("scale", "Mul", ["div", "k"]),
      node("am", "ArgMax", ["scale"]),
      node("other", "Relu", ["backbone"]),
    ],
    initializers: new Map(
      ["w0", "w1", "w2", "k"].map((
        n,
      ) => [n, { dtype: "float32" as const, shape: [1], data: new Float32Array(1) }]),
    ),
    values: new Map(),
  };
  deepEqual(new Set(argmaxHeads(g)), new Set(["scale", "div", "side", "sig", "head"]));
});

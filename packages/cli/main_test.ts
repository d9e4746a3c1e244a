import { deepEqual, equal, ok } from "node:assert/strict";
import { exportOnnx } from "@lowbit/onnx/export";
import { importOnnx } from "@lowbit/onnx/import";
import { type Graph, tensor } from "@lowbit/graph/ir";
import { runFloat } from "@lowbit/graph/executor";
import { Philox } from "@lowbit/rounding/philox";
import { main } from "./main.ts";

function rand(n: number, seed: number): number[] {
  const r = new Philox(seed, 1);
  return Array.from({ length: n }, () => r.uniform() * 2 - 1);
}

/** Conv 3→4 (3×3, pad 1) → Relu → GlobalAveragePool → Flatten → Gemm 4→3, opset 13. */
function model(): Graph {
  return {
    name: "tiny",
    opset: 13,
    values: new Map(),
    initializers: new Map([
      ["w", tensor("float32", [4, 3, 3, 3], rand(108, 1))],
      ["b", tensor("float32", [4], rand(4, 2))],
      ["fw", tensor("float32", [3, 4], rand(12, 3))],
      ["fb", tensor("float32", [3], rand(3, 4))],
    ]),
    inputs: [{ name: "x", dtype: "float32", shape: ["n", 3, 8, 8] }],
    outputs: [{ name: "y", dtype: "float32", shape: ["n", 3] }],
    nodes: [
      {
        name: "conv",
        op: "Conv",
        inputs: ["x", "w", "b"],
        outputs: ["c"],
        attrs: { pads: [1, 1, 1, 1] },
      },
      { name: "relu", op: "Relu", inputs: ["c"], outputs: ["r"], attrs: {} },
      { name: "gap", op: "GlobalAveragePool", inputs: ["r"], outputs: ["g"], attrs: {} },
      { name: "flat", op: "Flatten", inputs: ["g"], outputs: ["f"], attrs: {} },
      { name: "fc", op: "Gemm", inputs: ["f", "fw", "fb"], outputs: ["y"], attrs: { transB: 1 } },
    ],
  };
}

async function setup(): Promise<{ dir: string; float: string; calib: string }> {
  const dir = await Deno.makeTempDir();
  await Deno.writeFile(`${dir}/tiny.onnx`, exportOnnx(model()));
  await Deno.writeFile(
    `${dir}/calib.bin`,
    new Uint8Array(new Float32Array(rand(16 * 192, 9)).buffer),
  );
  return { dir, float: `${dir}/tiny.onnx`, calib: `${dir}/calib.bin` };
}

/** An io for `main` that keeps every line it prints, without progress bars. */
function captured(): {
  log: string[];
  io: { log: (s: string) => void; error: (s: string) => void; progress: boolean };
} {
  const log: string[] = [];
  return { log, io: { log: (s) => log.push(s), error: (s) => log.push(s), progress: false } };
}

Deno.test("lowbit quantize writes a QDQ model that imports again; compare reports full agreement on the output", async () => {
  const { dir, float, calib } = await setup();
  const { log, io } = captured();
  equal(
    await main(["quantize", float, `${dir}/q.onnx`, "--calib", calib, "--shape", "x=1,3,8,8"], io),
    0,
    log.join("\n"),
  );
  const q = importOnnx(await Deno.readFile(`${dir}/q.onnx`));
  ok(q.nodes.some((n) => n.op === "QuantizeLinear"));
  equal(q.nodes.filter((n) => n.op === "DequantizeLinear" && n.attrs.axis === 0).length >= 1, true);
  log.length = 0;
  equal(
    await main(["compare", float, `${dir}/q.onnx`, "--inputs", calib, "--shape", "x=1,3,8,8"], io),
    0,
  );
  const line = log.find((l) => l.startsWith("output y"));
  ok(line && /top-1 agreement (\d+\.\d+)% integer, .* \(16 rows\)/.test(line), log.join("\n"));
  ok(Number(/(\d+\.\d+)%/.exec(line!)![1]) >= 87.5, line); // 16 random inputs, ≤ 2 flips
  ok(
    log.some((l) => l.startsWith("c ") && /Conv\s+int\s/.test(l)),
    "per-value row for the conv output, run on integers",
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("lowbit quantize --float / --float-outputs: the conv's output quantized for its reader, or not", async () => {
  const { dir, float, calib } = await setup();
  const io = { log: () => {}, error: () => {}, progress: false };
  const args = ["--calib", calib, "--shape", "x=1,3,8,8"];
  equal(await main(["quantize", float, `${dir}/f.onnx`, ...args, "--float", "conv"], io), 0);
  equal(
    await main(["quantize", float, `${dir}/o.onnx`, ...args, "--float-outputs", "conv"], io),
    0,
  );
  const quantizes = (file: string, v: string) =>
    importOnnx(Deno.readFileSync(file)).nodes.some((n) =>
      n.op === "QuantizeLinear" && n.inputs[0] === v
    );
  const f = `${dir}/f.onnx`, o = `${dir}/o.onnx`;
  ok(quantizes(f, "c") && !quantizes(o, "c"));
  ok(quantizes(f, "r") && quantizes(o, "r"));
  await Deno.remove(dir, { recursive: true });
});

Deno.test("lowbit quantize --bias-correction: the output's per-channel mean on the calibration samples moves back to float's", async () => {
  const { dir, float, calib } = await setup();
  const { log, io } = captured();
  // int4 weights: rounding errors large enough to shift the means visibly
  const args = ["--calib", calib, "--shape", "x=1,3,8,8", "--weights", "int4"];
  equal(await main(["quantize", float, `${dir}/p.onnx`, ...args], io), 0, log.join("\n"));
  equal(
    await main(["quantize", float, `${dir}/c.onnx`, ...args, "--bias-correction"], io),
    0,
    log.join("\n"),
  );
  ok(log.some((l) => /^bias correction: 2 layers/.test(l)), log.join("\n"));
  const x = new Float32Array(rand(16 * 192, 9)); // the calibration file's values
  const mean = (g: Graph) => {
    const m = [0, 0, 0];
    for (let i = 0; i < 16; i++) {
      const y = runFloat(g, {
        x: { data: x.subarray(192 * i, 192 * (i + 1)), shape: [1, 3, 8, 8] },
      })
        .y.data as Float32Array;
      y.forEach((v, c) => (m[c] += v / 16));
    }
    return m;
  };
  const f = mean(model());
  const shift = (file: string) =>
    mean(importOnnx(Deno.readFileSync(file))).reduce((a, v, c) => a + Math.abs(v - f[c]), 0);
  const plain = shift(`${dir}/p.onnx`), corrected = shift(`${dir}/c.onnx`);
  ok(corrected < plain / 4, `mean shift ${corrected} with, ${plain} without`);
  equal(await main(["quantize", float, `${dir}/d.onnx`, "--dynamic", "--bias-correction"], io), 2);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("lowbit quantize --equalize: per-tensor weights of two convolutions whose channel ranges differ 1000× lose far less", async () => {
  // 1×1 conv (2 channels, weights 1000 and 1) → Relu → 1×1 conv (weights 0.001 and 1)
  const g: Graph = {
    name: "pair",
    opset: 13,
    values: new Map(),
    initializers: new Map([
      ["w1", tensor("float32", [2, 1, 1, 1], [1000, 1])],
      ["b1", tensor("float32", [2], [0, 0.5])],
      ["w2", tensor("float32", [1, 2, 1, 1], [0.001, 1])],
      ["b2", tensor("float32", [1], [0])],
    ]),
    inputs: [{ name: "x", dtype: "float32", shape: [1, 1, 1, 4] }],
    outputs: [{ name: "y", dtype: "float32", shape: [1, 1, 1, 4] }],
    nodes: [
      { name: "a", op: "Conv", inputs: ["x", "w1", "b1"], outputs: ["h"], attrs: {} },
      { name: "relu", op: "Relu", inputs: ["h"], outputs: ["r"], attrs: {} },
      { name: "b", op: "Conv", inputs: ["r", "w2", "b2"], outputs: ["y"], attrs: {} },
    ],
  };
  const dir = await Deno.makeTempDir();
  await Deno.writeFile(`${dir}/pair.onnx`, exportOnnx(g));
  const xs = new Float32Array(rand(32, 5).map((v) => Math.abs(v)));
  await Deno.writeFile(`${dir}/calib.bin`, new Uint8Array(xs.buffer));
  const { log, io } = captured();
  const args = ["--calib", `${dir}/calib.bin`, "--per-tensor"];
  equal(
    await main(["quantize", `${dir}/pair.onnx`, `${dir}/p.onnx`, ...args], io),
    0,
    log.join("\n"),
  );
  equal(
    await main(["quantize", `${dir}/pair.onnx`, `${dir}/e.onnx`, ...args, "--equalize"], io),
    0,
    log.join("\n"),
  );
  ok(log.includes("equalization: 1 layer pairs rescaled"), log.join("\n"));
  const err = (file: string) => {
    const q = importOnnx(Deno.readFileSync(file));
    let e = 0;
    for (let i = 0; i < 8; i++) {
      const x = { x: { data: xs.subarray(4 * i, 4 * i + 4), shape: [1, 1, 1, 4] } };
      const a = runFloat(g, x).y.data as Float32Array, b = runFloat(q, x).y.data as Float32Array;
      a.forEach((v, k) => (e += (v - b[k]) ** 2));
    }
    return e;
  };
  const plain = err(`${dir}/p.onnx`), equalized = err(`${dir}/e.onnx`);
  ok(equalized < plain / 10, `squared error ${equalized} equalized, ${plain} plain`);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("lowbit: failures write nothing and name the argument; usage errors exit 2", async () => {
  const { dir, float, calib } = await setup();
  const err: string[] = [];
  const io = { log: () => {}, error: (s: string) => err.push(s), progress: false };
  equal(
    await main(["quantize", float, `${dir}/q.onnx`, "--calib", calib, "--shape", "x=1,3,8,7"], io),
    1,
  );
  ok(/not a whole number of samples/.test(err.at(-1)!), err.at(-1));
  equal(await main(["quantize", float, `${dir}/q.onnx`, "--calib", calib], io), 2);
  ok(/input x has dynamic dimensions/.test(err.at(-1)!), err.at(-1));
  equal(
    await main([
      "quantize",
      float,
      `${dir}/q.onnx`,
      "--calib",
      calib,
      "--shape",
      "x=1,3,8,8",
      "--weights",
      "int3",
    ], io),
    2,
  );
  ok(/--weights must be one of int8, int4/.test(err.at(-1)!));
  equal(await main(["quantize", float, `${dir}/q.onnx`, "--bogus"], io), 2);
  await Deno.writeFile(`${dir}/bad.onnx`, new Uint8Array([1, 2, 3, 4, 5]));
  equal(await main(["inspect", `${dir}/bad.onnx`], io), 1);
  ok(/not a valid ONNX ModelProto|no graph/.test(err.at(-1)!), err.at(-1));
  deepEqual([...Deno.readDirSync(dir)].map((e) => e.name).sort(), [
    "bad.onnx",
    "calib.bin",
    "tiny.onnx",
  ]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("lowbit inspect prints op counts and the per-channel range ratio", async () => {
  const { dir, float } = await setup();
  const log: string[] = [];
  equal(await main(["inspect", float], { log: (s) => log.push(s), progress: false }), 0);
  ok(log[0].includes("ops: "));
  ok(/conv\s+Conv\s+\[4,3,3,3\]/.test(log[0]));
  await Deno.remove(dir, { recursive: true });
});

Deno.test("lowbit quantize --format qoperator writes QLinear nodes that onnxruntime-web runs", async () => {
  const { dir, float, calib } = await setup();
  const { log, io } = captured();
  const out = `${dir}/qop.onnx`;
  const args = ["quantize", float, out, "--calib", calib, "--shape", "x=1,3,8,8"];
  equal(await main([...args, "--format", "qoperator"], io), 0, log.join("\n"));
  ok(log.some((l) => l.includes("(QOperator,")), log.join("\n"));
  const g = importOnnx(await Deno.readFile(out), { checkOps: false });
  deepEqual(
    g.nodes.filter((n) => n.op.startsWith("QLinear")).map((n) => n.op),
    ["QLinearConv", "QLinearGlobalAveragePool"],
  );
  const ort = await import("onnxruntime-web");
  ort.env.wasm.numThreads = 1;
  const session = await ort.InferenceSession.create(await Deno.readFile(out));
  const y = await session.run({
    x: new ort.Tensor("float32", new Float32Array(192), [1, 3, 8, 8]),
  });
  equal((y[session.outputNames[0]].data as Float32Array).length, 3);
  await session.release();
  equal(await main([...args, "--format", "onnx"], io), 2, "a bad --format is a usage error");
  ok(log.some((l) => /--format/.test(l)), log.join("\n"));
});

Deno.test("lowbit debug: an outlier channel in conv's weights makes conv the limiting layer; per-channel weights gain > 3 dB", async () => {
  const { dir, calib } = await setup();
  // one weight of conv 50× the others' range: at 4 bits one per-tensor scale (50/7) rounds every
  // other weight of conv to 0, while per-channel scales confine the damage to channel 0
  const g = model();
  (g.initializers.get("w")!.data as Float32Array)[0] = 50;
  await Deno.writeFile(`${dir}/outlier.onnx`, exportOnnx(g));
  const { log, io } = captured();
  equal(
    await main([
      "debug",
      `${dir}/outlier.onnx`,
      "--calib",
      calib,
      "--shape",
      "x=1,3,8,8",
      "--bits",
      "4",
    ], io),
    0,
  );
  const text = log.join("\n");
  const limiting = /limiting[^\n]*/i.exec(text)?.[0] ?? "";
  ok(limiting.includes("conv") && !limiting.includes("fc"), text);
  const gain = Number(/per-channel weights for conv: [-0-9.]+ \(\+([0-9.]+)\)/.exec(text)?.[1]);
  ok(gain > 3, text); // dB on the whole model
  // usage errors name the option
  const err: string[] = [];
  const eio = {
    log: (s: string) => err.push(s),
    error: (s: string) => err.push(s),
    progress: false,
  };
  equal(await main(["debug", `${dir}/outlier.onnx`, "--calib", calib, "--bits", "9"], eio), 2);
  ok(err.at(-1)!.includes("--bits"), err.join("\n"));
  equal(
    await main([
      "debug",
      `${dir}/outlier.onnx`,
      "--calib",
      calib,
      "--shape",
      "x=1,3,8,8",
      "--layers",
      "nope",
    ], eio),
    2,
  );
  ok(err.at(-1)!.includes("--layers"), err.join("\n"));
});

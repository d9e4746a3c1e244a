import { deepEqual, equal, notDeepEqual, ok, rejects } from "node:assert/strict";
import * as ort from "onnxruntime-web";
import { runFloat } from "@lowbit/graph/executor";
import { GraphError } from "@lowbit/graph/errors";
import type { Graph, GraphTensor } from "@lowbit/graph/ir";
import { startBatchRunner } from "./batch_runner.ts";
import { compileQuantized } from "./qdq_run.ts";
import { oneNodeModel } from "./_onnx_test_util.ts";
import { node, param, toQdq, uniform } from "./_qdq_test_util.ts";

/** Conv → Relu → GlobalAveragePool → Flatten → Gemm at batch `b`. */
function net(b: number): Graph {
  return {
    name: "net",
    opset: 13,
    values: new Map(),
    initializers: new Map(Object.entries({
      w1: param([6, 3, 3, 3], 1),
      b1: param([6], 2, 0.1),
      w2: param([4, 6], 3),
      b2: param([4], 4, 0.1),
    })),
    inputs: [{ name: "x", dtype: "float32", shape: [b, 3, 8, 8] }],
    outputs: [{ name: "fc", dtype: "float32", shape: [b, 4] }],
    nodes: [
      node("c1", "Conv", ["x", "w1", "b1"], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }),
      node("r1", "Relu", ["c1"]),
      node("gap", "GlobalAveragePool", ["r1"]),
      node("fl", "Flatten", ["gap"], { axis: 1 }),
      node("fc", "Gemm", ["fl", "w2", "b2"], { transB: 1 }),
    ],
  };
}

const PLAN = {
  weights: [["c1", 1, 0], ["fc", 1, 0]] as [string, number, number][],
  biases: [["c1", 2], ["fc", 2]] as [string, number][],
};

const batchOf = (n: number, seed: number): GraphTensor => ({
  dtype: "float32",
  shape: [n, 3, 8, 8],
  data: uniform(n * 3 * 64, seed),
});

/** Rows [c·b, (c+1)·b) of x. */
const chunk = (x: GraphTensor, c: number, b: number): GraphTensor => {
  const per = x.data.length / x.shape[0];
  return {
    dtype: x.dtype,
    shape: [b, ...x.shape.slice(1)],
    data: x.data.slice(c * b * per, (c + 1) * b * per),
  };
};

Deno.test("startBatchRunner: a QDQ graph on 2 and 3 threads equals one thread's run of each chunk, bit for bit", async () => {
  const q = toQdq(net(2), { x: batchOf(2, 100) }, PLAN);
  const one = compileQuantized(q);
  const x = batchOf(10, 7); // 5 chunks: uneven over 2 and 3 threads
  const want = [0, 1, 2, 3, 4].map((c) => one.run({ x: chunk(x, c, 2) }).outputs["fc/d"]);
  for (const threads of [2, 3]) {
    await using runner = await startBatchRunner(q, { threads });
    equal(runner.threads, threads);
    equal(runner.batch, 2);
    const fc = (await runner.run({ x }))["fc/d"];
    deepEqual(fc.shape, [10, 4]);
    ok(fc.data instanceof Float32Array);
    want.forEach((w, c) => {
      deepEqual([...fc.data.subarray(4 * 2 * c, 4 * 2 * (c + 1))], [...w.data], `chunk ${c}`);
    });
  }
  notDeepEqual([...want[0].data], [...want[1].data], "chunks differ, so order matters");
});

Deno.test("startBatchRunner: a float graph runs as runFloat does, and a run of one chunk stays on the caller", async () => {
  const g = net(1);
  await using runner = await startBatchRunner(g, { threads: 2 });
  const x = batchOf(3, 9);
  const { fc } = await runner.run({ x });
  for (let c = 0; c < 3; c++) {
    const w = runFloat(g, { x: chunk(x, c, 1) }).fc;
    deepEqual([...fc.data.subarray(4 * c, 4 * c + 4)], [...w.data]);
  }
  const single = await runner.run({ x: chunk(x, 2, 1) });
  deepEqual([...single.fc.data], [...fc.data.subarray(8, 12)]);
});

Deno.test("startBatchRunner: bad batches, inputs and outputs are named before any work starts", async () => {
  const q = toQdq(net(2), { x: batchOf(2, 100) }, PLAN);
  await using runner = await startBatchRunner(q, { threads: 2 });
  await rejects(
    runner.run({ x: batchOf(3, 1) }),
    /inputs\.x: first dimension must be a positive multiple of the graph's batch 2, got shape \[3,3,8,8\]/,
  );
  await rejects(runner.run({}), (e: unknown) => e instanceof GraphError && /x/.test(e.message));
  const wrongType = { ...batchOf(4, 1), data: new Int32Array(4 * 3 * 64), dtype: "int32" as const };
  await rejects(
    runner.run({ x: wrongType }),
    (e: unknown) => e instanceof GraphError && /must be float32/.test(e.message),
  );
  const wrongShape = { dtype: "float32" as const, shape: [4, 3, 8, 9], data: uniform(4 * 216, 1) };
  await rejects(runner.run({ x: wrongShape }), GraphError);
  // the runner still works after rejected runs
  deepEqual((await runner.run({ x: batchOf(4, 2) }))["fc/d"].shape, [4, 4]);

  const symbolic = { ...q, inputs: [{ ...q.inputs[0], shape: ["batch", 3, 8, 8] }] };
  await rejects(
    startBatchRunner(symbolic),
    /graph input x has no fixed first \(batch\) dimension .*give options\.batch/,
  );
  await rejects(
    startBatchRunner(q, { batch: 3 }),
    /graph input x has batch 2, but options\.batch is 3/,
  );
  await rejects(
    startBatchRunner(symbolic, { batch: 0 }),
    /options\.batch must be a positive integer/,
  );
  {
    await using r = await startBatchRunner(symbolic, { batch: 2, threads: 2 });
    equal(r.batch, 2);
    const x = batchOf(4, 8);
    deepEqual([...(await r.run({ x }))["fc/d"].data], [...(await runner.run({ x }))["fc/d"].data]);
  }
  await rejects(startBatchRunner(q, { threads: 1.5 }), /options\.threads must be an integer/);

  // an output that is not per example (a reduction over the batch) cannot be joined
  const g = net(2);
  const pooled: Graph = {
    ...g,
    nodes: [...g.nodes, node("all", "ReduceMean", ["fc"], { axes: [0], keepdims: 1 })],
    outputs: [{ name: "all", dtype: "float32", shape: [1, 4] }],
  };
  await using r2 = await startBatchRunner(pooled, { threads: 2 });
  await rejects(
    r2.run({ x: batchOf(4, 3) }),
    (e: unknown) =>
      e instanceof GraphError && /only per-example outputs can be joined/.test(e.message) &&
      /all/.test(e.message),
  );
});

Deno.test("startBatchRunner: a disposed runner rejects runs", async () => {
  const runner = await startBatchRunner(net(1), { threads: 2 });
  await runner.dispose();
  await rejects(runner.run({ x: batchOf(2, 1) }), /disposed/);
});

Deno.test("startBatchRunner: works after onnxruntime-web has run in the process (Deno then starts workers without `self`)", async () => {
  ort.env.wasm.numThreads = 1;
  const info = { name: "x", dtype: "float32" as const, shape: [2] };
  const session = await ort.InferenceSession.create(
    oneNodeModel("Relu", { inputs: ["x"], graphInputs: [info], output: { ...info, name: "y" } }),
  );
  const y = await session.run({ x: new ort.Tensor("float32", Float32Array.of(-1, 1), [2]) });
  deepEqual([...(y.y.data as Float32Array)], [0, 1]);
  await session.release();
  const q = toQdq(net(1), { x: batchOf(1, 100) }, PLAN);
  await using runner = await startBatchRunner(q, { threads: 2 });
  const x = batchOf(2, 5);
  const got = (await runner.run({ x }))["fc/d"];
  const one = compileQuantized(q);
  deepEqual([...got.data.subarray(4, 8)], [...one.run({ x: chunk(x, 1, 1) }).outputs["fc/d"].data]);
});

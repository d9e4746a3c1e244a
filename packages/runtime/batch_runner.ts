/**
 * Batch-level threads for whole graphs: the graph is compiled once on the calling thread and
 * once in each of `threads − 1` workers (`compileQuantized`, so QDQ graphs run on integers and
 * float graphs in float); a run splits its inputs along the first (batch) dimension into
 * chunks of the graph's own batch size, hands chunk `c` to thread `c mod threads` (the caller
 * is thread 0 and runs its chunks while the workers run theirs), and joins the outputs in
 * order. Every chunk runs the same compiled graph, so the joined outputs equal one thread's
 * run of each chunk, bit for bit.
 *
 * Use it for batches: a graph compiled for batch `b` takes any batch `k·b`. Within one op,
 * the kernel pool (`@lowbit/kernels/pool`) splits large GEMMs instead; for whole MobileNet-class
 * models the per-op split leaves the small layers on one thread, the batch split does not.
 *
 * Dispose the runner when done (`await using` or `dispose()`), otherwise its workers keep the
 * process alive.
 *
 * @example Two threads run a batch of 4 through a graph compiled for batch 2
 * ```ts
 * import { startBatchRunner } from "@lowbit/runtime/batch-runner";
 * import { deepEqual, equal } from "node:assert/strict";
 * const graph = {
 *   name: "relu", opset: 13, values: new Map(), initializers: new Map(),
 *   nodes: [{ name: "r", op: "Relu", inputs: ["x"], outputs: ["y"], attrs: {} }],
 *   inputs: [{ name: "x", dtype: "float32" as const, shape: [2, 3] }],
 *   outputs: [{ name: "y", dtype: "float32" as const, shape: [2, 3] }],
 * };
 * await using runner = await startBatchRunner(graph, { threads: 2 });
 * equal(runner.batch, 2);
 * const x = Float32Array.from([-1, 2, -3, 4, -5, 6, 7, -8, 9, -10, 11, -12]);
 * const { y } = await runner.run({ x: { data: x, shape: [4, 3] } });
 * deepEqual(y.shape, [4, 3]);
 * deepEqual([...y.data], [0, 2, 0, 4, 0, 6, 7, 0, 9, 0, 11, 0]);
 * ```
 *
 * @module
 */

import { bindInput, type TensorInput } from "@lowbit/graph/executor";
import { GraphError } from "@lowbit/graph/errors";
import type { Graph, GraphData, GraphTensor } from "@lowbit/graph/ir";
import { compileQuantized, type CompileQuantizedOptions } from "./qdq_run.ts";
import type { BatchInit, BatchReply, BatchRequest } from "./_batch_protocol.ts";

/** Most threads a runner starts. */
const MAX_BATCH_THREADS = 16;

/** Options of {@linkcode startBatchRunner}. */
export interface BatchRunnerOptions {
  /** Threads, the calling one included (default `navigator.hardwareConcurrency`, at most 16). */
  threads?: number;
  /** Options of `compileQuantized`, the same on every thread. */
  compile?: CompileQuantizedOptions;
  /**
   * The chunk size, needed when the graph's inputs leave the batch dimension symbolic: the
   * batch the graph was built for (e.g. the shape given to `optimize`). Default: the inputs'
   * fixed first dimension.
   */
  batch?: number;
}

/** A started runner (from {@linkcode startBatchRunner}). */
export interface BatchRunner {
  /** Threads sharing the chunks, the calling thread included. */
  readonly threads: number;
  /** The graph's batch size: the size of one chunk. */
  readonly batch: number;
  /**
   * Runs a batch: every input's first dimension is the same multiple of {@linkcode batch}.
   *
   * @param inputs One tensor per graph input.
   * @returns The graph outputs, joined along the first dimension.
   * @throws {RangeError} Naming the input whose first dimension is not a positive multiple
   *   of the graph's batch, or differs from the others'.
   * @throws {GraphError} From the graph's own input checks (run on the first chunk before
   *   any work starts), or naming an output that is not per example.
   */
  run(inputs: Record<string, TensorInput>): Promise<Record<string, GraphTensor>>;
  /** Stops the workers; later runs fail. */
  dispose(): Promise<void>;
  /** Same as `dispose`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * The chunk size: the fixed first dimension every graph input declares, or `given` where the
 * inputs leave it symbolic (it must then be given, and agree with any fixed one).
 */
function graphBatch(graph: Graph, given: number | undefined): number {
  if (graph.inputs.length === 0) throw new RangeError("graph.inputs is empty: nothing to split");
  if (given !== undefined && (!Number.isInteger(given) || given < 1)) {
    throw new RangeError(`options.batch must be a positive integer, got ${String(given)}`);
  }
  let batch = given;
  for (const info of graph.inputs) {
    const d = info.shape[0];
    if (typeof d !== "number" || d < 0) {
      if (given === undefined) {
        throw new RangeError(
          `graph input ${info.name} has no fixed first (batch) dimension ([${info.shape}]): give options.batch, the batch the graph was built for`,
        );
      }
      continue;
    }
    if (batch !== undefined && d !== batch) {
      throw new RangeError(
        `graph input ${info.name} has batch ${d}, but ${
          given === undefined ? "another input has" : "options.batch is"
        } ${batch}`,
      );
    }
    batch = d;
  }
  return batch as number;
}

/** Rows `[from, to)` of the first dimension of a tensor (`copy`: a new buffer). */
function rows(t: TensorInput, from: number, to: number, copy: boolean): TensorInput {
  const per = t.data.length / t.shape[0];
  const data = copy
    ? t.data.slice(from * per, to * per)
    : t.data.subarray(from * per, to * per) as GraphData;
  return { data, shape: [to - from, ...t.shape.slice(1)], dtype: t.dtype };
}

/**
 * Compiles the graph on this thread and in `threads − 1` workers, for batch-level threads.
 *
 * @param graph A graph (QDQ or float) whose inputs share a first dimension, the chunk size
 *   (fixed, or symbolic with `options.batch`); every output must be per example (first
 *   dimension the same batch).
 * @param options Threads and compile options.
 * @returns The runner, once every worker has compiled the graph.
 * @throws {RangeError} Naming `options.threads` when it is not an integer in [1, 16],
 *   `options.batch` when it is not a positive integer or contradicts an input, or the graph
 *   input without a fixed batch dimension when `options.batch` is absent.
 *
 * @example A bad thread count is named
 * ```ts
 * import { startBatchRunner } from "@lowbit/runtime/batch-runner";
 * import { rejects } from "node:assert/strict";
 * const graph = { name: "g", opset: 13, values: new Map(), initializers: new Map(), nodes: [],
 *   inputs: [{ name: "x", dtype: "float32" as const, shape: [1] }],
 *   outputs: [{ name: "x", dtype: "float32" as const, shape: [1] }] };
 * await rejects(startBatchRunner(graph, { threads: 0 }), /options.threads must be an integer/);
 * ```
 */
export async function startBatchRunner(
  graph: Graph,
  options: BatchRunnerOptions = {},
): Promise<BatchRunner> {
  const hw = typeof navigator !== "undefined" ? navigator.hardwareConcurrency ?? 1 : 1;
  const threads = options.threads ?? Math.min(MAX_BATCH_THREADS, hw);
  if (!Number.isInteger(threads) || threads < 1 || threads > MAX_BATCH_THREADS) {
    throw new RangeError(
      `options.threads must be an integer in [1, ${MAX_BATCH_THREADS}], got ${String(threads)}`,
    );
  }
  const batch = graphBatch(graph, options.batch);
  const compile = options.compile ?? {};
  const own = compileQuantized(graph, compile);

  let nextId = 0;
  const pending = new Map<number, { resolve(r: BatchReply): void; reject(e: Error): void }>();
  let broken: Error | undefined;
  const fail = (e: Error) => {
    broken ??= e;
    for (const p of pending.values()) p.reject(e);
    pending.clear();
  };
  const workers: { worker: Worker; port: MessagePort }[] = [];
  const expect = (id: number) =>
    new Promise<BatchReply>((resolve, reject) => {
      if (broken) return reject(broken);
      pending.set(id, { resolve, reject });
    });
  const onReply = (e: MessageEvent<BatchReply>) => {
    const p = pending.get(e.data.id);
    if (p === undefined) return;
    pending.delete(e.data.id);
    p.resolve(e.data);
  };
  const ask = (t: number, m: BatchRequest, transfer: Transferable[]) => {
    const reply = expect(m.id);
    if (!broken) workers[t - 1].port.postMessage(m, transfer);
    return reply;
  };
  const replyOf = async (reply: Promise<BatchReply>): Promise<BatchReply> => {
    const r = await reply;
    if (r.kind === "error") {
      const err = new Error(`batch worker: ${r.message}`);
      err.name = r.name;
      throw err;
    }
    return r;
  };
  const stop = () => {
    for (const { worker, port } of workers) {
      worker.terminate();
      port.close();
    }
    workers.length = 0;
  };
  try {
    const ready: Promise<BatchReply>[] = [];
    for (let t = 1; t < threads; t++) {
      const worker = new Worker(new URL("./_batch_worker.ts", import.meta.url), {
        type: "module",
      });
      worker.onerror = (e) => {
        e.preventDefault();
        fail(new Error(`batch worker ${t} failed: ${e.message}`));
      };
      const channel = new MessageChannel();
      channel.port1.onmessage = onReply;
      workers.push({ worker, port: channel.port1 });
      const init: BatchInit = { id: nextId++, graph, compile, port: channel.port2 };
      ready.push(replyOf(expect(init.id)));
      worker.postMessage(init, [channel.port2]);
    }
    await Promise.all(ready);
  } catch (e) {
    stop();
    throw e;
  }

  const run = async (inputs: Record<string, TensorInput>) => {
    if (broken) throw broken;
    let total: number | undefined;
    for (const info of graph.inputs) {
      const t = inputs[info.name];
      if (t === undefined) throw new GraphError("graph input is missing", { value: info.name });
      const n = t.shape[0];
      if (!Number.isInteger(n) || n < batch || n % batch !== 0) {
        throw new RangeError(
          `inputs.${info.name}: first dimension must be a positive multiple of the graph's batch ${batch}, got shape [${t.shape}]`,
        );
      }
      if (total !== undefined && n !== total) {
        throw new RangeError(
          `inputs.${info.name}: first dimension ${n} differs from another input's ${total}`,
        );
      }
      total = n;
    }
    const chunks = (total as number) / batch;
    const chunkInputs = (c: number, copy: boolean) =>
      Object.fromEntries(
        graph.inputs.map((
          info,
        ) => [info.name, rows(inputs[info.name], c * batch, (c + 1) * batch, copy)]),
      );
    // the graph's own input checks, on the first chunk, before any work is handed out
    const firstChunk = chunkInputs(0, false);
    for (const info of graph.inputs) bindInput(info, firstChunk[info.name]);
    const replies: [number, Promise<BatchReply>][] = [];
    for (let c = 0; c < chunks; c++) {
      const t = c % threads;
      if (t === 0) continue;
      const feed = chunkInputs(c, true);
      const transfer = Object.values(feed).map((x) => x.data.buffer as ArrayBuffer);
      replies.push([c, ask(t, { id: nextId++, inputs: feed }, transfer)]);
    }
    const parts: Record<string, GraphTensor>[] = new Array(chunks);
    let ownError: unknown;
    try {
      for (let c = 0; c < chunks; c += threads) {
        parts[c] = own.run(c === 0 ? firstChunk : chunkInputs(c, false)).outputs;
      }
    } catch (e) {
      ownError = e;
    }
    // the workers' replies are collected even after a failure here (no unhandled rejection)
    const settled = await Promise.allSettled(replies.map(([, r]) => replyOf(r)));
    if (ownError !== undefined) throw ownError;
    settled.forEach((s, i) => {
      if (s.status === "rejected") throw s.reason;
      parts[replies[i][0]] = (s.value as { outputs: Record<string, GraphTensor> }).outputs;
    });
    const out: Record<string, GraphTensor> = {};
    for (const name of Object.keys(parts[0])) {
      const first = parts[0][name];
      if (first.shape[0] !== batch) {
        throw new GraphError(
          `output has first dimension ${
            first.shape[0]
          } (shape [${first.shape}]), not the graph's batch ${batch}: only per-example outputs can be joined`,
          { value: name },
        );
      }
      const per = first.data.length;
      const Ctor = first.data.constructor as new (n: number) => GraphData;
      const data = new Ctor(per * chunks);
      parts.forEach((p, c) => (data as Float32Array).set(p[name].data as Float32Array, c * per));
      out[name] = { dtype: first.dtype, shape: [total as number, ...first.shape.slice(1)], data };
    }
    return out;
  };
  const dispose = () => {
    stop();
    fail(new Error("the batch runner was disposed"));
    return Promise.resolve();
  };
  return { threads, batch, run, dispose, [Symbol.asyncDispose]: dispose };
}

/**
 * A teacher given as a `@lowbit/graph` graph (an imported ONNX/tfjs model or `fromNn` of an nn
 * model), run by the float executor `runFloat`. {@linkcode GraphTeacher} is a `Module`, so
 * {@linkcode distill} and {@linkcode computeTeacherLogits} accept it like any nn teacher. A
 * graph whose input has a fixed batch dimension of 1 is run one example at a time; a free
 * (symbolic) batch dimension takes the whole batch. Its float32 initializers are registered
 * as buffers (`init0`, `init1`, … in initializer order), so the teacher-cache hash changes
 * when a weight does. It has no parameters and never records a graph for gradients.
 *
 * @example The graph of an nn model gives that model's logits
 * ```ts
 * import { GraphTeacher } from "@lowbit/distill/graph-teacher";
 * import { fromNn } from "@lowbit/graph/from-nn";
 * import { Flatten, Linear, Sequential, Variable } from "@lowbit/nn";
 * import { Philox } from "@lowbit/rounding/philox";
 * import { ok } from "node:assert/strict";
 * const net = new Sequential([["flat", new Flatten()], ["fc", new Linear(4, 3, { random: new Philox(1) })]]);
 * const teacher = new GraphTeacher(fromNn(net, { inputShape: [1, 1, 2, 2] }));
 * const x = Variable.from([0.1, -0.2, 0.3, 0.4, 1, 2, 3, 4], [2, 1, 2, 2]);
 * const a = teacher.forward(x).data, b = net.forward(x).data;
 * ok(a.every((v, i) => Math.abs(v - b[i]) < 1e-5));
 * ```
 *
 * @module
 */

import { runFloat } from "@lowbit/graph/executor";
import type { Graph } from "@lowbit/graph/ir";
import { Variable } from "@lowbit/nn/autograd";
import { Module } from "@lowbit/nn/module";

/** Options of {@linkcode GraphTeacher}. */
export interface GraphTeacherOptions {
  /** The graph input fed with the batch (default: the only graph input). */
  input?: string;
  /** The graph output used as logits (default: the first graph output). */
  output?: string;
}

/**
 * A frozen float teacher backed by a graph (see the module doc).
 *
 * @example Graphs with several inputs need `options.input`
 * ```ts
 * import { GraphTeacher } from "@lowbit/distill/graph-teacher";
 * import { throws } from "node:assert/strict";
 * const g = { name: "g", opset: 13, initializers: new Map(), values: new Map(), nodes: [],
 *   inputs: [{ name: "a", dtype: "float32" as const, shape: [1] }, { name: "b", dtype: "float32" as const, shape: [1] }],
 *   outputs: [{ name: "a", dtype: "float32" as const, shape: [1] }] };
 * throws(() => new GraphTeacher(g), /options.input/);
 * ```
 */
export class GraphTeacher extends Module {
  /** The graph. */
  readonly graph: Graph;
  /** The input name. */
  readonly input: string;
  /** The output name. */
  readonly output: string;
  #batch1: boolean;

  /**
   * Wraps the graph.
   *
   * @param graph A float graph.
   * @param options Input and output names.
   * @throws {RangeError} If the input or output is not in the graph, or the graph has several
   *   inputs and `options.input` is not given.
   */
  constructor(graph: Graph, options: GraphTeacherOptions = {}) {
    super();
    this.graph = graph;
    const free = graph.inputs.filter((i) => !graph.initializers.has(i.name));
    if (options.input === undefined && free.length !== 1) {
      throw new RangeError(
        `the graph has ${free.length} inputs (${
          free.map((i) => i.name).join(", ")
        }); name one in options.input`,
      );
    }
    const input = options.input ?? free[0].name;
    const info = free.find((i) => i.name === input);
    if (info === undefined) throw new RangeError(`options.input "${input}" is not a graph input`);
    const output = options.output ?? graph.outputs[0]?.name;
    if (output === undefined || !graph.outputs.some((o) => o.name === output)) {
      throw new RangeError(`options.output "${String(output)}" is not a graph output`);
    }
    this.input = input;
    this.output = output;
    this.#batch1 = info.shape[0] === 1;
    let k = 0;
    for (const t of graph.initializers.values()) {
      if (t.dtype === "float32") this.registerBuffer(`init${k++}`, t.data as Float32Array, t.shape);
    }
  }

  /**
   * Runs the graph on a batch (no gradient).
   *
   * @param x The batch `[N, ...]`.
   * @returns The logits `[N, ...]`.
   */
  forward(x: Variable): Variable {
    const run = (data: Float32Array, shape: readonly number[]) => {
      const out = runFloat(this.graph, { [this.input]: { data, shape } }, {
        outputs: [this.output],
      })[this.output];
      return { data: Float32Array.from(out.data as ArrayLike<number>), shape: out.shape };
    };
    if (!this.#batch1 || x.shape[0] === 1) {
      const r = run(x.data, x.shape);
      return new Variable(r.data, r.shape);
    }
    const n = x.shape[0], per = x.size / n;
    const parts: Float32Array[] = [];
    let tail: readonly number[] = [];
    for (let i = 0; i < n; i++) {
      const r = run(x.data.subarray(i * per, (i + 1) * per), [1, ...x.shape.slice(1)]);
      parts.push(r.data);
      tail = r.shape.slice(1);
    }
    const out = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
    parts.forEach((p, i) => out.set(p, i * p.length));
    return new Variable(out, [n, ...tail]);
  }

  /**
   * The teacher's description.
   *
   * @returns e.g. `GraphTeacher(model: input → logits)`.
   */
  describe(): string {
    return `GraphTeacher(${this.graph.name}: ${this.input} → ${this.output})`;
  }
}

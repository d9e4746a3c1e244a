/**
 * Integer execution of a quantized (QDQ) graph: the form `@lowbit/ptq`'s `quantizeStatic`
 * writes and onnxruntime's `quantize_static` writes. Every `DequantizeLinear → op →
 * QuantizeLinear` region whose op has an integer lowering (`LOWERINGS` of
 * `@lowbit/runtime/qdq-lower`: Conv, MatMul, Gemm, Add, Mul, Concat, pools, lookup tables for
 * unary ops, layout ops) runs on the codes and writes the codes of the QuantizeLinear
 * directly; the pair DQ/Q between two integer ops then costs nothing. Any other node (Softmax,
 * LayerNormalization, an op whose output stays float, a configuration a lowering does not
 * handle, a node named in `keepFloat`) runs in float32 between its DequantizeLinear and
 * QuantizeLinear, exactly as the QDQ simulation does. The trace says which path each node
 * took.
 *
 * @example A Conv with per-channel int8 weights run on codes
 * ```ts
 * import { compileQuantized } from "@lowbit/runtime/qdq-run";
 * import type { Graph, GraphTensor } from "@lowbit/graph/ir";
 * import { equal } from "node:assert/strict";
 * const f = (v: number) => ({ dtype: "float32" as const, shape: [], data: Float32Array.of(v) });
 * const u8 = (v: number) => ({ dtype: "uint8" as const, shape: [], data: Uint8Array.of(v) });
 * const g: Graph = { name: "g", opset: 13, values: new Map(),
 *   inputs: [{ name: "x", dtype: "float32" as const, shape: [1, 1, 1, 2] }],
 *   outputs: [{ name: "y", dtype: "float32" as const, shape: [1, 1, 1, 1] }],
 *   initializers: new Map<string, GraphTensor>([["s", f(0.5)], ["z", u8(0)], ["w", { dtype: "int8" as const, shape: [1, 1, 1, 2], data: Int8Array.of(2, 1) }],
 *     ["ws", f(0.25)], ["ys", f(0.25)]]),
 *   nodes: [
 *     { name: "qx", op: "QuantizeLinear", inputs: ["x", "s", "z"], outputs: ["xq"], attrs: {} },
 *     { name: "dx", op: "DequantizeLinear", inputs: ["xq", "s", "z"], outputs: ["xd"], attrs: {} },
 *     { name: "dw", op: "DequantizeLinear", inputs: ["w", "ws"], outputs: ["wd"], attrs: {} },
 *     { name: "conv", op: "Conv", inputs: ["xd", "wd"], outputs: ["c"], attrs: { kernel_shape: [1, 2] } },
 *     { name: "qc", op: "QuantizeLinear", inputs: ["c", "ys", "z"], outputs: ["cq"], attrs: {} },
 *     { name: "dc", op: "DequantizeLinear", inputs: ["cq", "ys", "z"], outputs: ["y"], attrs: {} },
 *   ] };
 * const run = compileQuantized(g).run({ x: { data: Float32Array.of(1, 2), shape: [1, 1, 1, 2] } });
 * equal(run.outputs.y.data[0], 1); // (2·2 + 1·4) codes · 0.5 · 0.25 = 1
 * equal(run.trace.find((t) => t.node === "conv")?.path, "integer");
 * ```
 *
 * @module
 */

import { bindInput, FLOAT_OPS, type TensorInput } from "@lowbit/graph/executor";
import { GraphError, UnsupportedOpError } from "@lowbit/graph/errors";
import {
  type Graph,
  type GraphData,
  type GraphTensor,
  type Node,
  topologicalOrder,
} from "@lowbit/graph/ir";
import type { OutputQuant } from "./fused.ts";
import {
  type ChainStep,
  DEQUANTIZING_LOWERINGS,
  type LoweredInput,
  lowerElementwiseChain,
  type LoweringContext,
  LOWERINGS,
  SCALAR_TABLE_OPS,
  TABLE_OPS,
} from "./qdq_lower.ts";
import { DTYPE_RANGE, QuantizedTensor } from "./quantized_tensor.ts";
import { roundHalfEven } from "@lowbit/rounding/modes";
import type { RequantMode } from "./requantize.ts";
import { NodeBuffers } from "./_node_buffers.ts";
import { applyLut, type Lut } from "./lut.ts";
import { type LookupRegion, lookupRegions } from "./_qdq_regions.ts";

/** Options of {@linkcode compileQuantized}. */
export interface CompileQuantizedOptions {
  /** Requantization: `"float"` (onnxruntime's float32 multipliers, default) or `"fixed"`. */
  mode?: RequantMode;
  /** Nodes (by name) to run in float even when a lowering exists. */
  keepFloat?: readonly string[];
  /**
   * Run each lookup region as one table (default true): elementwise nodes that depend on one
   * quantized value and scalar constants only, up to a QuantizeLinear inside them (a
   * decomposed hard-swish `x · clip(x + 3, 0, 6) / 6` with its Q/DQ pairs). The table is made
   * by running the region's nodes on the 256 codes of the source's grid, so the result equals
   * running them one by one, bit for bit; `false` runs them one by one, as does a region
   * with a node named in `keepFloat`.
   */
  lookupRegions?: boolean;
}

/** How one node ran. */
export type NodePath = "integer" | "float" | "quantize" | "dequantize" | "requantize-free";

/** One node's entry in the trace. */
export interface NodeTrace {
  /** Node name. */
  node: string;
  /** Op type. */
  op: string;
  /**
   * `"integer"`: computed on codes; `"float"`: float32 kernel; `"quantize"` /
   * `"dequantize"`: a Q/DQ node evaluated; `"requantize-free"`: a Q/DQ node that cost nothing
   * because its codes were already there.
   */
  path: NodePath;
  /**
   * Seconds the node took (`performance.now()` around it), when the run was asked for
   * `timing`. A lookup region's time is its first node's; its other nodes report 0.
   */
  seconds?: number;
}

/** Options of {@linkcode CompiledQuantized.run}. */
export interface RunQuantizedOptions {
  /** Values to return (default: the graph outputs); any intermediate value name works. */
  outputs?: readonly string[];
  /** Values whose codes to return (Q outputs and lowered op outputs), by name. */
  codes?: readonly string[];
  /** Time each node and report it in the trace (`NodeTrace.seconds`; default false). */
  timing?: boolean;
}

/** Result of one integer run. */
export interface QuantizedRun {
  /** The requested values (a lowered op's output is given as its dequantized codes). */
  outputs: Record<string, GraphTensor>;
  /** The requested codes (values that exist as codes in this run). */
  codes: Record<string, QuantizedTensor>;
  /** Per node, in execution order. */
  trace: NodeTrace[];
}

/** A quantized graph prepared for integer execution. */
export interface CompiledQuantized {
  /** The graph. */
  readonly graph: Graph;
  /** Requantization mode. */
  readonly mode: RequantMode;
  /** Values the integer run never materializes (a producer fused with its Relu/Clip). */
  readonly fusedValues: ReadonlySet<string>;
  /**
   * Runs the graph on one input set.
   *
   * @param inputs One tensor per graph input.
   * @param options Values and codes to return.
   * @returns Outputs, codes and the trace.
   */
  run(inputs: Record<string, TensorInput>, options?: RunQuantizedOptions): QuantizedRun;
}

/** A value during the run: its tensor, and/or the codes that define it. */
interface Slot {
  value?: GraphTensor;
  codes?: QuantizedTensor;
  /** The value is `dequantize(codes)` (true) or the code tensor itself (false). */
  dequantized?: boolean;
  /** Not computed: its producer wrote the output of this activation node instead. */
  fusedInto?: string;
}

/**
 * A run's values: its own slots over the compiled graph's constant ones (the initializers,
 * made once per compiled graph instead of once per run). Deleting a constant is a no-op.
 */
class ValueEnv {
  readonly #own = new Map<string, Slot>();
  readonly #base: ReadonlyMap<string, Slot>;
  constructor(base: ReadonlyMap<string, Slot>) {
    this.#base = base;
  }
  get(name: string): Slot | undefined {
    return this.#own.get(name) ?? this.#base.get(name);
  }
  set(name: string, slot: Slot): void {
    this.#own.set(name, slot);
  }
  delete(name: string): void {
    this.#own.delete(name);
  }
}

/** Whether the codes are 8-bit. */
function is8Bit(t: QuantizedTensor): t is QuantizedTensor & { dtype: "int8" | "uint8" } {
  return t.dtype === "int8" || t.dtype === "uint8";
}

/** A lookup region's table for one source grid, and the grid of its exit codes. */
interface RegionTable {
  lut: Lut;
  scale: number;
  zeroPoint: number;
}

/** Constant [lo, hi] of a Relu or Clip node (attributes before opset 11, inputs after). */
function activationBounds(
  act: Node,
  init: ReadonlyMap<string, GraphTensor>,
): [number, number] | undefined {
  if (act.op === "Relu") return [0, Infinity];
  if (act.op !== "Clip") return undefined;
  const bound = (i: number, attr: string, dflt: number): number | undefined => {
    const name = act.inputs[i];
    if (name !== undefined && name !== "") {
      const t = init.get(name);
      return t && t.data.length === 1 && typeof t.data[0] === "number" ? t.data[0] : undefined;
    }
    const a = act.attrs[attr];
    return typeof a === "number" ? a : dflt;
  };
  const lo = bound(1, "min", -Infinity), hi = bound(2, "max", Infinity);
  return lo === undefined || hi === undefined ? undefined : [lo, hi];
}

const CODE_DTYPES = new Set(["int8", "uint8", "int4", "uint4", "int32"]);

/** Codes with their grid from Q/DQ operands (scale, zero point, axis). */
function codesOf(
  t: GraphTensor,
  scale: GraphTensor | undefined,
  zp: GraphTensor | undefined,
  axis: number,
): QuantizedTensor | undefined {
  if (!CODE_DTYPES.has(t.dtype) || !scale || !(scale.data instanceof Float32Array)) {
    return undefined;
  }
  const perAxis = scale.data.length > 1;
  const zeros = zp
    ? Int32Array.from(zp.data as ArrayLike<number>)
    : new Int32Array(scale.data.length);
  const dtype = t.dtype === "int4" ? "int8" : t.dtype === "uint4" ? "uint8" : t.dtype;
  const q = t.data instanceof Int8Array || t.data instanceof Uint8Array ||
      t.data instanceof Int32Array
    ? t.data
    : undefined;
  if (!q) return undefined;
  return new QuantizedTensor({
    q,
    shape: t.shape,
    dtype: dtype as "int8" | "uint8" | "int32",
    scale: perAxis ? scale.data : scale.data[0],
    zeroPoint: perAxis ? zeros : zeros[0],
    axis: perAxis ? (axis < 0 ? axis + t.shape.length : axis) : undefined,
  });
}

function gridOf(node: Node, scale: GraphTensor | undefined, zp: GraphTensor | undefined) {
  if (!scale || !(scale.data instanceof Float32Array) || scale.data.length !== 1) return undefined;
  const dt = zp?.dtype ?? "uint8";
  if (dt !== "int8" && dt !== "uint8") return undefined;
  if (node.attrs.output_dtype !== undefined && node.attrs.output_dtype !== 0) {
    const od = node.attrs.output_dtype;
    if ((dt === "uint8" && od !== 2) || (dt === "int8" && od !== 3)) return undefined;
  }
  const out: OutputQuant = {
    scale: scale.data[0],
    zeroPoint: zp ? Number(zp.data[0]) : 0,
    dtype: dt,
  };
  return out;
}

function sameGrid(t: QuantizedTensor, g: OutputQuant): boolean {
  return !t.perChannel && t.dtype === g.dtype && t.scale[0] === Math.fround(g.scale) &&
    t.zeroPoint[0] === g.zeroPoint;
}

/**
 * Prepares a QDQ graph for integer execution: finds the DQ → op → Q regions and quantizes
 * nothing anew (the grids are the graph's). The compiled graph keeps what it derives from the
 * graph's constants across runs (weight codes, weights packed in kernel memory from the second
 * run on, lookup tables, output stages): compile again after changing an initializer.
 *
 * @param graph A graph with QuantizeLinear/DequantizeLinear nodes (any float graph works too:
 *   it then runs entirely in float).
 * @param options Requantization mode, nodes to keep in float.
 * @returns The compiled graph.
 * @throws {UnsupportedOpError} For an op neither lowered nor in the float executor.
 * @throws {RangeError} Naming `options.mode` or a `keepFloat` entry that is not a node.
 *
 * @example Nodes named in `keepFloat` run in float
 * ```ts
 * import { compileQuantized } from "@lowbit/runtime/qdq-run";
 * import { throws } from "node:assert/strict";
 * const g = { name: "g", opset: 13, values: new Map(), initializers: new Map(), nodes: [],
 *   inputs: [{ name: "x", dtype: "float32" as const, shape: [1] }],
 *   outputs: [{ name: "x", dtype: "float32" as const, shape: [1] }] };
 * throws(() => compileQuantized(g, { keepFloat: ["nope"] }), /keepFloat names no node: nope/);
 * ```
 */
export function compileQuantized(
  graph: Graph,
  options: CompileQuantizedOptions = {},
): CompiledQuantized {
  const mode = options.mode ?? "float";
  if (mode !== "float" && mode !== "fixed") {
    throw new RangeError(`options.mode must be "float" or "fixed", got ${String(mode)}`);
  }
  const order = topologicalOrder(graph);
  const names = new Map(order.map((n) => [n.name, n.outputs[0]]));
  const keepFloat = new Set(options.keepFloat ?? []);
  for (const k of keepFloat) {
    if (!names.has(k)) throw new RangeError(`options.keepFloat names no node: ${k}`);
  }
  for (const n of order) {
    const known = (n.domain === undefined || n.domain === "" || n.domain === "ai.onnx") &&
      Object.hasOwn(FLOAT_OPS, n.op);
    if (!known) throw new UnsupportedOpError(n.domain ? `${n.domain}.${n.op}` : n.op, n.name);
  }
  const consumers = new Map<string, Node[]>();
  for (const n of order) {
    for (const v of n.inputs) {
      if (v !== "") consumers.set(v, [...(consumers.get(v) ?? []), n]);
    }
  }
  const graphOutputs = new Set(graph.outputs.map((o) => o.name));
  const init = graph.initializers;
  // The one constant grid of the QuantizeLinear nodes that alone read value v, if so.
  const soleGrid = (v: string): OutputQuant | undefined => {
    if (graphOutputs.has(v)) return undefined;
    const readers = consumers.get(v) ?? [];
    if (readers.length === 0 || readers.some((r) => r.op !== "QuantizeLinear")) return undefined;
    const grids = readers.map((r) => gridOf(r, init.get(r.inputs[1]), init.get(r.inputs[2] ?? "")));
    const g = grids[0];
    const same = (h: OutputQuant | undefined) =>
      h !== undefined && h.dtype === g?.dtype && Math.fround(h.scale) === Math.fround(g.scale) &&
      h.zeroPoint === g.zeroPoint;
    return g && grids.every(same) ? g : undefined;
  };
  // Lowering candidates: one output, read only by QuantizeLinear nodes of one constant grid —
  // or read only by a Relu/Clip (constant bounds) that is, which is then fused as a clamp.
  const target = new Map<string, OutputQuant>();
  const fusedAct = new Map<string, { act: Node; lo: number; hi: number }>(); // by producer
  const fusedActs = new Set<string>(); // activation node names
  for (const n of order) {
    if (!Object.hasOwn(LOWERINGS, n.op) || keepFloat.has(n.name)) continue;
    const outs = n.outputs.filter((o) => o !== "");
    if (outs.length !== 1 || n.outputs[0] === "" || graphOutputs.has(outs[0])) continue;
    const g = soleGrid(outs[0]);
    if (g) {
      target.set(n.name, g);
      continue;
    }
    const readers = consumers.get(outs[0]) ?? [];
    const act = readers[0];
    if (readers.length !== 1 || keepFloat.has(act.name) || act.inputs[0] !== outs[0]) continue;
    const ag = soleGrid(act.outputs[0]);
    const bounds = ag && activationBounds(act, init);
    if (!ag || !bounds) continue;
    const { min, max } = DTYPE_RANGE[ag.dtype];
    const code = (v: number) =>
      v === Infinity ? max : v === -Infinity ? min : Math.min(
        max,
        Math.max(min, roundHalfEven(Math.fround(v / Math.fround(ag.scale))) + ag.zeroPoint),
      );
    target.set(n.name, ag);
    fusedAct.set(n.name, { act, lo: code(bounds[0]), hi: code(bounds[1]) });
    fusedActs.add(act.name);
  }
  // Elementwise chains whose inner values are not quantized (an activation then a scalar
  // affine block, as `quantizeStatic`'s `fuseElementwise` leaves them): head → the following
  // nodes and the grid of the QuantizeLinear after the last; computed as one table.
  const elementwise = (n: Node): number | undefined => {
    if (keepFloat.has(n.name) || n.outputs.filter((o) => o !== "").length !== 1) return undefined;
    const constant = (v: string) => v === "" || init.has(v);
    if (TABLE_OPS.has(n.op)) return n.inputs.slice(1).every(constant) ? 0 : undefined;
    if (!SCALAR_TABLE_OPS.has(n.op) || n.inputs.length !== 2) return undefined;
    const scalar = (v: string) => init.get(v)?.data.length === 1;
    return scalar(n.inputs[1]) ? 0 : scalar(n.inputs[0]) ? 1 : undefined;
  };
  const chains = new Map<string, { then: ChainStep[]; grid: OutputQuant }>();
  const chained = new Set<string>(); // nodes after a head
  for (const n of order) {
    if (target.has(n.name) || chained.has(n.name) || elementwise(n) === undefined) continue;
    const then: ChainStep[] = [];
    let v = n.outputs[0], grid: OutputQuant | undefined;
    while (!graphOutputs.has(v) && then.length < 16) {
      const readers = consumers.get(v) ?? [];
      const next = readers[0];
      const at = readers.length === 1 ? elementwise(next) : undefined;
      if (
        at === undefined || next.inputs[at] !== v || next.inputs.filter((i) => i === v).length !== 1
      ) {
        break;
      }
      then.push({
        node: next,
        at,
        constants: new Map(next.inputs.filter((i) => init.has(i)).map((i) => [i, init.get(i)!])),
      });
      v = next.outputs[0];
      grid = soleGrid(v);
      if (grid) break;
    }
    if (grid === undefined) continue;
    chains.set(n.name, { then, grid });
    for (const t of then) chained.add(t.node.name);
  }
  // Constant codes (weights, biases) behind DequantizeLinear nodes, converted once.
  const constCodes = new Map<string, QuantizedTensor>();
  for (const n of order) {
    if (n.op !== "DequantizeLinear") continue;
    const t = init.get(n.inputs[0]);
    if (!t) continue;
    const c = codesOf(
      t,
      init.get(n.inputs[1]),
      init.get(n.inputs[2] ?? ""),
      typeof n.attrs.axis === "number" ? n.attrs.axis : 1,
    );
    if (c) constCodes.set(n.name, c);
  }
  // Constant slots, shared by every run (nothing writes into a slot holding a value).
  const initSlots: ReadonlyMap<string, Slot> = new Map(
    [...init].map(([k, t]) => [k, Object.freeze({ value: t })]),
  );
  const lastUse = new Map<string, number>();
  order.forEach((n, i) => n.inputs.forEach((v) => lastUse.set(v, i)));
  const ctx: LoweringContext = {
    mode,
    opset: graph.opset,
    tables: new Map(),
    packed: new WeakMap(),
  };

  // The output codes of every node, kept from run to run (the runs' own executor only).
  const buffers = new NodeBuffers();

  // One node's integer execution over a value environment (the run's, or a region's table
  // run on the 256 codes of its source): returns the path the node took. `reuse`: hand the
  // lowerings the node's arrays of the previous run (the run's executor, not a table's).
  const executor = (env: ValueEnv, reuse = false) => {
    const valueOf = (name: string): GraphTensor | undefined => {
      const s = env.get(name);
      if (!s) return undefined;
      if (s.fusedInto !== undefined) {
        throw new GraphError(
          `the integer run computes this value fused with activation ${s.fusedInto} (only the activation's output exists)`,
          { value: name },
        );
      }
      if (!s.value && s.codes) {
        s.value = s.dequantized
          ? { dtype: "float32", shape: [...s.codes.shape], data: s.codes.dequantize() }
          : { dtype: s.codes.dtype, shape: [...s.codes.shape], data: s.codes.q };
      }
      return s.value;
    };
    // A node's inputs as lowerings take them: codes where the graph dequantizes them.
    const codeArgs = (node: Node): LoweredInput[] =>
      node.inputs.map((v) => {
        if (v === "") return undefined;
        const s = env.get(v);
        return s?.codes && s.dequantized ? s.codes : valueOf(v);
      });
    const floatNode = (node: Node): GraphTensor[] => {
      const args = node.inputs.map((v) => (v === "" ? undefined : valueOf(v)));
      return FLOAT_OPS[node.op].run(node, args, { opset: graph.opset });
    };
    const chainDone = new Set<string>();
    const exec = (node: Node): NodePath => {
      const out = node.outputs[0];
      const codes = reuse ? buffers.forNode(node.name) : undefined;
      ctx.codes = codes;
      const chain = chains.get(node.name);
      let chainCodes: QuantizedTensor | undefined;
      let path: NodePath = "float";
      if (node.op === "DequantizeLinear") {
        const src = env.get(node.inputs[0]);
        const c = constCodes.get(node.name) ??
          (src?.codes && !src.dequantized ? src.codes : undefined);
        if (c) {
          env.set(out, { codes: c, dequantized: true });
          path = src?.codes ? "requantize-free" : "dequantize";
        } else {
          env.set(out, { value: floatNode(node)[0] });
          path = "dequantize";
        }
      } else if (node.op === "QuantizeLinear") {
        const src = env.get(node.inputs[0]);
        const g = gridOf(node, valueOf(node.inputs[1]), valueOf(node.inputs[2] ?? ""));
        if (src?.codes && src.dequantized && g && sameGrid(src.codes, g)) {
          env.set(out, { codes: src.codes, dequantized: false });
          path = "requantize-free";
        } else {
          const [t] = floatNode(node);
          const axis = typeof node.attrs.axis === "number" ? node.attrs.axis : 1;
          const c = codesOf(t, valueOf(node.inputs[1]), valueOf(node.inputs[2] ?? ""), axis);
          env.set(out, { value: t, codes: c, dequantized: false });
          path = "quantize";
        }
      } else if (fusedActs.has(node.name) && env.get(node.outputs[0])?.codes) {
        path = "integer"; // computed with its producer, as a clamp of its codes
      } else if (chainDone.has(node.name)) {
        path = "integer"; // computed with the head of its elementwise chain, in one table
      } else if (
        chain &&
        (chainCodes = lowerElementwiseChain(node, codeArgs(node), chain.then, chain.grid, ctx))
      ) {
        for (const t of chain.then) chainDone.add(t.node.name);
        const last = chain.then[chain.then.length - 1].node.outputs[0];
        env.set(last, { codes: chainCodes, dequantized: true });
        path = "integer";
      } else {
        const g = target.get(node.name);
        let lowered: QuantizedTensor | undefined;
        let dequantized: GraphTensor | undefined;
        if (g) {
          const args = codeArgs(node);
          if (args.some((a) => a instanceof QuantizedTensor)) {
            lowered = LOWERINGS[node.op](node, args, g, ctx);
          }
        }
        const fuse = fusedAct.get(node.name);
        if (lowered && fuse) {
          // Q(act(x)) = clamp(Q(x), Q(lo), Q(hi)) for Relu/Clip: exact on the codes.
          const src = lowered.q;
          const d = lowered.dtype;
          const q = codes !== undefined && (d === "int8" || d === "uint8")
            ? codes(d, src.length)
            : src.slice();
          for (let k = 0; k < q.length; k++) {
            const v = src[k];
            q[k] = v < fuse.lo ? fuse.lo : v > fuse.hi ? fuse.hi : v;
          }
          const clamped = new QuantizedTensor({
            q,
            shape: lowered.shape,
            dtype: lowered.dtype,
            scale: lowered.scale[0],
            zeroPoint: lowered.zeroPoint[0],
          });
          env.set(fuse.act.outputs[0], { codes: clamped, dequantized: true });
          env.set(out, { fusedInto: fuse.act.name });
          path = "integer";
        } else if (lowered) {
          env.set(out, { codes: lowered, dequantized: true });
          path = "integer";
        } else if (
          !g && !keepFloat.has(node.name) && Object.hasOwn(DEQUANTIZING_LOWERINGS, node.op) &&
          (dequantized = DEQUANTIZING_LOWERINGS[node.op](node, codeArgs(node))) !== undefined
        ) {
          env.set(out, { value: dequantized });
          path = "integer";
        } else {
          const outs = floatNode(node);
          node.outputs.forEach((name, k) => {
            if (name === "") return;
            if (outs[k] === undefined) {
              throw new GraphError(`op produced ${outs.length} outputs, output ${k} is missing`, {
                node: node.name,
                value: name,
              });
            }
            env.set(name, { value: outs[k] });
          });
        }
      }
      return path;
    };
    return { exec, valueOf };
  };
  const regions = options.lookupRegions === false
    ? []
    : lookupRegions(order, init, graphOutputs, consumers).filter((r) =>
      r.nodes.every((n) => !keepFloat.has(n.name))
    );
  const regionAt = new Map(regions.map((r) => [r.nodes[0].name, r]));
  // Per region and source grid: the table and the exit grid (null: the region cannot be one).
  const regionTables = new Map<LookupRegion, Map<string, RegionTable | null>>(
    regions.map((r) => [r, new Map()]),
  );
  // The region's exit codes for all 256 codes of the source's grid, by running its nodes.
  const tableOf = (
    region: LookupRegion,
    src: QuantizedTensor & { dtype: "int8" | "uint8" },
  ): RegionTable | null => {
    const lo = DTYPE_RANGE[src.dtype].min;
    const all = new QuantizedTensor({
      q: src.dtype === "int8"
        ? Int8Array.from({ length: 256 }, (_, i) => i + lo)
        : Uint8Array.from({ length: 256 }, (_, i) => i),
      shape: [256],
      dtype: src.dtype,
      scale: src.scale[0],
      zeroPoint: src.zeroPoint[0],
    });
    const sub = new ValueEnv(initSlots);
    sub.set(region.source, { codes: all, dequantized: false });
    const { exec } = executor(sub);
    try {
      for (const n of region.nodes) exec(n);
    } catch {
      return null; // the nodes then run one by one (and report their own errors)
    }
    const y = sub.get(region.exit)?.codes;
    if (!y || y.perChannel || y.q.length !== 256 || !is8Bit(y)) return null;
    return {
      lut: { input: src.dtype, output: y.dtype, table: Int16Array.from(y.q) },
      scale: y.scale[0],
      zeroPoint: y.zeroPoint[0],
    };
  };

  const run = (
    inputs: Record<string, TensorInput>,
    runOptions: RunQuantizedOptions = {},
  ): QuantizedRun => {
    const env = new ValueEnv(initSlots);
    for (const info of graph.inputs) {
      if (init.has(info.name) && inputs[info.name] === undefined) continue;
      env.set(info.name, { value: bindInput(info, inputs[info.name]) });
    }
    const wanted = runOptions.outputs ?? graph.outputs.map((o) => o.name);
    const keep = new Set([...wanted, ...(runOptions.codes ?? [])]);
    const trace: NodeTrace[] = [];
    const { exec, valueOf } = executor(env, true);
    const regionDone = new Set<string>();
    // A region as one lookup when its source holds 8-bit per-tensor codes and none of its
    // inner values was asked for.
    const runRegion = (region: LookupRegion): boolean => {
      const slot = env.get(region.source);
      const src = slot?.codes;
      if (!src || slot.dequantized || src.perChannel || !is8Bit(src)) return false;
      for (const v of region.internal) if (keep.has(v)) return false;
      const cache = regionTables.get(region)!;
      const key = `${src.dtype}|${src.scale[0]}|${src.zeroPoint[0]}`;
      let t = cache.get(key);
      if (t === undefined) cache.set(key, t = tableOf(region, src));
      if (t === null) return false;
      const q = applyLut(
        t.lut,
        src.q as Int8Array | Uint8Array,
        buffers.forNode(`region ${region.exit}`),
      );
      env.set(region.exit, {
        codes: new QuantizedTensor({
          q,
          shape: src.shape,
          dtype: t.lut.output,
          scale: t.scale,
          zeroPoint: t.zeroPoint,
        }),
        dequantized: false,
      });
      for (const n of region.nodes) regionDone.add(n.name);
      return true;
    };
    const timing = runOptions.timing === true;
    order.forEach((node, i) => {
      let path: NodePath;
      const t0 = timing ? performance.now() : 0;
      if (regionDone.has(node.name)) path = "integer";
      else {
        const region = regionAt.get(node.name);
        path = region && runRegion(region) ? "integer" : exec(node);
      }
      trace.push(
        timing
          ? { node: node.name, op: node.op, path, seconds: (performance.now() - t0) / 1000 }
          : { node: node.name, op: node.op, path },
      );
      for (const v of node.inputs) {
        if (lastUse.get(v) === i && !keep.has(v) && !init.has(v)) env.delete(v);
      }
    });
    ctx.codes = undefined;
    // Codes may sit in arrays the next run reuses (NodeBuffers): what is returned is copied.
    // Float values are the run's own (dequantized or computed in float).
    const outputs: Record<string, GraphTensor> = {};
    for (const name of wanted) {
      const t = valueOf(name);
      if (!t) throw new GraphError("requested value was not computed", { value: name });
      outputs[name] = t.dtype === "float32" ? t : { ...t, data: t.data.slice() as GraphData };
    }
    const codes: Record<string, QuantizedTensor> = {};
    for (const name of runOptions.codes ?? []) {
      const c = env.get(name)?.codes;
      if (!c) throw new GraphError("requested value has no codes in this run", { value: name });
      codes[name] = new QuantizedTensor({
        q: c.q.slice(),
        shape: c.shape,
        dtype: c.dtype,
        scale: c.perChannel ? c.scale : c.scale[0],
        zeroPoint: c.perChannel ? c.zeroPoint : c.zeroPoint[0],
        axis: c.axis,
      });
    }
    return { outputs, codes, trace };
  };
  const fusedValues = new Set([...fusedAct.keys()].map((n) => names.get(n) ?? ""));
  return { graph, mode, run, fusedValues };
}

/**
 * Conversion of a float model into an integer graph (Jacob et al. 2018 §3, the white paper's
 * PTQ pipeline):
 *
 * 1. fold batch norms into the preceding conv/linear layer (B.1 of `model.ts`);
 * 2. fuse a following ReLU/ReLU6 into the layer as an output clamp;
 * 3. calibrate: run the folded float model on calibration batches and let one
 *    `@lowbit/quantize` observer per activation (the input and each fused layer's output)
 *    choose its scale and zero point (default `MinMaxObserver`, int8 affine);
 * 4. quantize weights per output channel, symmetric int8 in [−127, 127] (`S_o = max|W_o|/127`,
 *    PyTorch's symmetric formula; TFLite's narrow range) and biases to int32 at `S_x·S_w[o]`
 *    (round half to even);
 * 5. emit nodes; pooling and flatten keep their input's grid.
 *
 * Layers the integer runtime cannot run (a ReLU that does not follow a conv/linear, an
 * unknown kind) are rejected with a RangeError naming the layer.
 *
 * @example Convert and run a tiny model
 * ```ts
 * import { convertModel } from "@lowbit/runtime/convert";
 * import { runInteger } from "@lowbit/runtime/graph";
 * import { equal } from "node:assert/strict";
 * const model = { inputShape: [2], layers: [
 *   { kind: "linear" as const, name: "fc", weight: new Float32Array([1, 1, 1, -1]), outFeatures: 2 },
 *   { kind: "relu" as const, name: "act" },
 * ] };
 * const calib = [{ data: new Float32Array([1, 2, -1, 3, 2, 2]), shape: [3, 2] }];
 * const graph = convertModel(model, calib);
 * equal(graph.nodes.length, 2); // quantize, fc (+ReLU)
 * const y = runInteger(graph, { data: new Float32Array([1, 2]), shape: [1, 2] }).output;
 * equal(Math.round(y.dequantize()[0] * 10) / 10, 3);
 * ```
 *
 * @module
 */

import { MinMaxObserver } from "@lowbit/quantize/observers/minmax";
import type { Observer } from "@lowbit/quantize/observer";

export type { Observer, QuantInput, TensorLike } from "@lowbit/quantize/observer";
export type { QuantParams } from "@lowbit/quantize/params";
import type { FusedActivation, OutputQuant } from "./fused.ts";
import type { IntegerGraph, IntegerNode } from "./graph.ts";
import { type FloatLayer, type FloatModel, foldBatchNorm, runFloat } from "./model.ts";
import type { FloatTensor } from "./onnx_quantize.ts";
import { QuantizedTensor } from "./quantized_tensor.ts";
import type { RequantMode } from "./requantize.ts";

/** Options of {@linkcode convertModel}. */
export interface ConvertOptions {
  /** Requantization semantics of the graph (default `"fixed"`, gemmlowp/TFLite). */
  mode?: RequantMode;
  /** A fresh observer per activation (default int8 affine `MinMaxObserver`). Its qparams must
   * describe the int8 range [−128, 127] or the uint8 range [0, 255]. */
  observer?: () => Observer;
  /** Name of the graph input (default `"input"`). */
  inputName?: string;
}

/** A fused step of the converted model: which float layers it covers. */
interface Step {
  layer: FloatLayer;
  activation: FusedActivation;
  /** Name of the float layer whose output this step's output corresponds to. */
  ref: string;
}

function plan(layers: readonly FloatLayer[]): Step[] {
  const steps: Step[] = [];
  for (let i = 0; i < layers.length; i++) {
    const l = layers[i];
    switch (l.kind) {
      case "conv2d":
      case "linear": {
        const next = layers[i + 1];
        if (next && (next.kind === "relu" || next.kind === "relu6")) {
          steps.push({ layer: l, activation: next.kind, ref: next.name });
          i++;
        } else steps.push({ layer: l, activation: "none", ref: l.name });
        break;
      }
      case "maxpool2d":
      case "avgpool2d":
      case "flatten":
      case "globalavgpool":
        steps.push({ layer: l, activation: "none", ref: l.name });
        break;
      case "relu":
      case "relu6":
        throw new RangeError(
          `layer "${l.name}" (${l.kind}) is not supported by the integer converter: an activation must directly follow a conv2d or linear layer`,
        );
      default: {
        const u = l as { name: unknown; kind: unknown };
        throw new RangeError(
          `layer "${String(u.name)}" (${String(u.kind)}) is not supported by the integer converter`,
        );
      }
    }
  }
  return steps;
}

function gridFrom(observer: Observer, what: string): OutputQuant {
  const p = observer.qparams();
  if (typeof p.scale !== "number" || typeof p.zeroPoint !== "number") {
    throw new RangeError(`${what}: the observer must give per-tensor parameters`);
  }
  const dtype = p.qmin === -128 && p.qmax === 127
    ? "int8"
    : p.qmin === 0 && p.qmax === 255
    ? "uint8"
    : null;
  if (dtype === null) {
    throw new RangeError(
      `${what}: activations must use [−128, 127] or [0, 255], got [${p.qmin}, ${p.qmax}]`,
    );
  }
  return { scale: p.scale, zeroPoint: p.zeroPoint, dtype };
}

/**
 * Per-output-channel symmetric int8 weights in [−127, 127]: `S_o = fl32(max|W_o| / 127)`
 * (1 for an all-zero channel), `q = clamp(rne(W / S_o), −127, 127)`.
 *
 * @param weight Weights, output channel first.
 * @param shape Their shape.
 * @returns The quantized weights (axis 0).
 *
 * @example
 * ```ts
 * import { quantizeWeightsPerChannel } from "@lowbit/runtime/convert";
 * import { deepEqual } from "node:assert/strict";
 * const w = quantizeWeightsPerChannel(new Float32Array([1, -0.5, 0, 0]), [2, 2]);
 * deepEqual([...w.q], [127, -64, 0, 0]); // 63.5 → 64 (ties to even)
 * ```
 */
export function quantizeWeightsPerChannel(
  weight: Float32Array,
  shape: readonly number[],
): QuantizedTensor {
  const o = shape[0], inner = weight.length / o;
  if (!Number.isInteger(inner)) {
    throw new RangeError(`weight length ${weight.length} is not a multiple of ${o} channels`);
  }
  const scale = new Float32Array(o);
  const q = new Int8Array(weight.length);
  for (let c = 0; c < o; c++) {
    let m = 0;
    for (let j = c * inner; j < (c + 1) * inner; j++) m = Math.max(m, Math.abs(weight[j]));
    scale[c] = m === 0 ? 1 : Math.fround(m / 127);
    for (let j = c * inner; j < (c + 1) * inner; j++) {
      const v = weight[j] / scale[c];
      const f = Math.floor(v), d = v - f;
      const r = d > 0.5 || (d === 0.5 && f % 2 !== 0) ? f + 1 : f;
      q[j] = Math.max(-127, Math.min(127, r));
    }
  }
  return new QuantizedTensor({ q, shape, dtype: "int8", scale, axis: 0 });
}

/**
 * A float bias as int32 at scale `S_x·S_w[o]` (round half to even).
 *
 * @param bias The float bias.
 * @param inputScale S_x.
 * @param weight The quantized weights (their per-channel scales).
 * @param layer Layer name for errors.
 * @returns The int32 bias.
 * @throws {RangeError} When a bias does not fit int32 at that scale, the bias length is not the
 *   weights' output-channel count, or `inputScale` is not finite and positive (naming the layer).
 * @throws {TypeError} When `bias` or `weight` has the wrong type.
 *
 * @example
 * ```ts
 * import { quantizeBias } from "@lowbit/runtime/convert";
 * import { QuantizedTensor } from "@lowbit/runtime/quantized-tensor";
 * import { deepEqual } from "node:assert/strict";
 * const w = new QuantizedTensor({ q: new Int8Array(2), shape: [2, 1], dtype: "int8", scale: new Float32Array([0.5, 0.25]), axis: 0 });
 * deepEqual([...quantizeBias(new Float32Array([1, 1]), 0.5, w, "fc")], [4, 8]);
 * ```
 */
export function quantizeBias(
  bias: Float32Array,
  inputScale: number,
  weight: QuantizedTensor,
  layer: string,
): Int32Array {
  if (!(bias instanceof Float32Array)) {
    throw new TypeError(`layer "${layer}": bias must be a Float32Array`);
  }
  if (!(weight instanceof QuantizedTensor)) {
    throw new TypeError(`layer "${layer}": weight must be a QuantizedTensor`);
  }
  if (!(inputScale > 0) || !Number.isFinite(inputScale)) {
    throw new RangeError(`layer "${layer}": inputScale must be finite and > 0, got ${inputScale}`);
  }
  // One bias per output channel: the per-channel axis, else the weights' first dimension.
  const channels = weight.perChannel ? weight.scale.length : weight.shape[0];
  if (bias.length !== channels) {
    throw new RangeError(
      `layer "${layer}": bias has ${bias.length} elements, the weights have ${channels} output channels`,
    );
  }
  return Int32Array.from(bias, (b, o) => {
    const v = b / (inputScale * weight.scale[weight.perChannel ? o : 0]);
    const f = Math.floor(v), d = v - f;
    const r = d > 0.5 || (d === 0.5 && f % 2 !== 0) ? f + 1 : f;
    if (!(r >= -2147483648 && r <= 2147483647)) {
      throw new RangeError(
        `layer "${layer}": bias[${o}] = ${b} does not fit int32 at scale ${inputScale}·S_w`,
      );
    }
    return r;
  });
}

/**
 * Converts a float model into an integer graph, calibrating activations on the given batches.
 *
 * @param model The float model (batch norms are folded here).
 * @param calibration Calibration batches `[N, ...inputShape]`.
 * @param options Mode, observer factory, input name.
 * @returns The integer graph (`floatRefs` maps each node to the float layer it replaces).
 * @throws {RangeError} On an unsupported layer (named), an empty calibration set, or
 *   observers that do not give 8-bit per-tensor parameters.
 *
 * @example An unsupported layer is named
 * ```ts
 * import { convertModel } from "@lowbit/runtime/convert";
 * import { throws } from "node:assert/strict";
 * const model = { inputShape: [1], layers: [{ kind: "relu" as const, name: "lonely" }] };
 * throws(() => convertModel(model, [{ data: new Float32Array(1), shape: [1, 1] }]), /layer "lonely"/);
 * ```
 */
export function convertModel(
  model: FloatModel,
  calibration: readonly FloatTensor[],
  options: ConvertOptions = {},
): IntegerGraph {
  if (calibration.length === 0) throw new RangeError("calibration must hold at least one batch");
  const folded = foldBatchNorm(model);
  const steps = plan(folded.layers);
  const make = options.observer ?? (() => new MinMaxObserver({ qmin: -128, qmax: 127 }));
  const inputObs = make();
  const observers = new Map<string, Observer>();
  for (const s of steps) {
    if (s.layer.kind === "conv2d" || s.layer.kind === "linear") observers.set(s.ref, make());
  }
  for (const batch of calibration) {
    inputObs.observe({ data: batch.data, shape: [...batch.shape] });
    const { trace } = runFloat(folded, batch);
    for (const [ref, obs] of observers) {
      const t = trace.get(ref)!;
      obs.observe({ data: t.data, shape: [...t.shape] });
    }
  }
  const inputName = options.inputName ?? "input";
  const nodes: IntegerNode[] = [];
  const floatRefs: Record<string, string> = {};
  let grid = gridFrom(inputObs, "graph input");
  nodes.push({ op: "quantize", name: "quantize", input: inputName, out: grid });
  let prev = "quantize";
  for (const s of steps) {
    const l = s.layer;
    const name = l.name;
    if (l.kind === "conv2d" || l.kind === "linear") {
      const shape = l.kind === "conv2d"
        ? l.weightShape
        : [l.outFeatures, l.weight.length / l.outFeatures];
      const weight = quantizeWeightsPerChannel(l.weight, shape);
      const bias = l.bias ? quantizeBias(l.bias, grid.scale, weight, name) : undefined;
      const out = gridFrom(observers.get(s.ref)!, `layer "${s.ref}"`);
      if (l.kind === "conv2d") {
        nodes.push({
          op: "conv2d",
          name,
          input: prev,
          weight,
          bias,
          geometry: {
            stride: l.stride,
            padding: l.padding,
            dilation: l.dilation,
            groups: l.groups,
          },
          activation: s.activation,
          out,
        });
      } else {nodes.push({
          op: "fullyConnected",
          name,
          input: prev,
          weight,
          bias,
          activation: s.activation,
          out,
        });}
      grid = out;
    } else if (l.kind === "maxpool2d" || l.kind === "avgpool2d") {
      nodes.push({
        op: l.kind === "maxpool2d" ? "maxPool2d" : "avgPool2d",
        name,
        input: prev,
        pool: { kernel: l.kernel, stride: l.stride, padding: l.padding },
      });
    } else if (l.kind === "globalavgpool") nodes.push({ op: "globalAvgPool2d", name, input: prev });
    else nodes.push({ op: "flatten", name, input: prev });
    floatRefs[name] = s.ref;
    prev = name;
  }
  return {
    inputName,
    inputShape: [...model.inputShape],
    nodes,
    output: prev,
    mode: options.mode ?? "fixed",
    floatRefs,
  };
}

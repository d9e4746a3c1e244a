/**
 * Intermediate features of a `Sequential` model: {@linkcode forwardWithFeatures} runs the
 * layers in order and also returns the outputs of the named layers, still attached to the
 * graph, so losses on them (FitNets hints, attention transfer) back-propagate into the
 * layers below.
 *
 * @example
 * ```ts
 * import { forwardWithFeatures } from "@lowbit/distill/features";
 * import { Flatten, ReLU, Sequential, Variable } from "@lowbit/nn";
 * import { deepEqual } from "node:assert/strict";
 * const m = new Sequential([["relu", new ReLU()], ["flat", new Flatten()]]);
 * const { output, features } = forwardWithFeatures(m, Variable.from([-1, 2], [1, 1, 1, 2]), ["relu"]);
 * deepEqual([...features.get("relu")!.data], [0, 2]);
 * deepEqual(output.shape, [1, 2]);
 * ```
 *
 * @module
 */

import type { Variable } from "@lowbit/nn/autograd";
import type { Sequential } from "@lowbit/nn/module";

/**
 * Forward pass that also returns the outputs of the layers named in `names`.
 *
 * @param model The model.
 * @param x The input.
 * @param names Top-level layer names of `model`.
 * @returns The output and a map name → feature.
 * @throws {RangeError} If a name is not a layer of `model` (the message lists the layers).
 *
 * @example Unknown names are refused
 * ```ts
 * import { forwardWithFeatures } from "@lowbit/distill/features";
 * import { ReLU, Sequential, Variable } from "@lowbit/nn";
 * import { throws } from "node:assert/strict";
 * throws(() => forwardWithFeatures(new Sequential([["r", new ReLU()]]), Variable.zeros([1]), ["conv9"]), /names\[0\] = "conv9"/);
 * ```
 */
export function forwardWithFeatures(
  model: Sequential,
  x: Variable,
  names: readonly string[],
): { output: Variable; features: Map<string, Variable> } {
  const layerNames = model.layers.map(([n]) => n);
  names.forEach((n, i) => {
    if (!layerNames.includes(n)) {
      throw new RangeError(
        `names[${i}] = "${n}" is not a layer of the model (layers: ${layerNames.join(", ")})`,
      );
    }
  });
  const features = new Map<string, Variable>();
  for (const [name, m] of model.layers) {
    x = m.forward(x);
    if (names.includes(name)) features.set(name, x);
  }
  return { output: x, features };
}

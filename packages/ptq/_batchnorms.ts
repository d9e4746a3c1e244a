/**
 * Private helpers for the passes that work on the batch-norm layers of `@lowbit/nn` models
 * (ZeroQ, BN re-estimation): finding them and seeing their inputs during a forward pass.
 *
 * @module
 */

import type { Variable } from "@lowbit/nn/autograd";
import { BatchNormBase } from "@lowbit/nn/batchnorm";
import type { Module } from "@lowbit/nn/module";

/** Every batch-norm layer under `model`, with its dotted path, in registration order. */
export function batchNorms(model: Module): [string, BatchNormBase][] {
  const out: [string, BatchNormBase][] = [];
  const walk = (m: Module, path: string) => {
    if (m instanceof BatchNormBase) out.push([path, m]);
    for (const [n, c] of m.namedChildren()) walk(c, path === "" ? n : `${path}.${n}`);
  };
  walk(model, "");
  return out;
}

/**
 * Runs `fn` with `see(bn, input)` called on every forward of each listed batch-norm layer (the
 * layers' own forward still runs); the layers are restored even if `fn` throws.
 */
export function watchBatchNorms<T>(
  bns: readonly BatchNormBase[],
  see: (bn: BatchNormBase, x: Variable) => void,
  fn: () => T,
): T {
  for (const bn of bns) {
    const forward = bn.forward;
    bn.forward = (v: Variable): Variable => {
      see(bn, v);
      return forward.call(bn, v);
    };
  }
  try {
    return fn();
  } finally {
    for (const bn of bns) Reflect.deleteProperty(bn, "forward");
  }
}

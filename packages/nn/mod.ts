/**
 * A small, readable training engine: reverse-mode autograd over float32 tensors with the
 * gradient rules as one table (`ops.ts`), layers, losses, optimizers, learning-rate schedules,
 * real datasets (MNIST, Fashion-MNIST), a training loop, safetensors state dicts and
 * quantization-aware training modules (fake quant with STE, LSQ, PACT).
 *
 * @example
 * ```ts
 * import { linear, Variable } from "@lowbit/nn";
 * import { deepEqual } from "node:assert/strict";
 * const y = linear(Variable.from([1, 2], [1, 2]), Variable.from([1, 1], [1, 2]));
 * deepEqual([...y.data], [3]);
 * ```
 *
 * @module
 */

export * from "./autograd.ts";
export * from "./ops.ts";
export * from "./ops_pool.ts";
export * from "./ops_conv.ts";
export * from "./ops_norm.ts";
export * from "./losses.ts";
export * from "./module.ts";
export * from "./init.ts";
export * from "./linear.ts";
export * from "./conv2d.ts";
export * from "./batchnorm.ts";
export * from "./layers.ts";
export * from "./safetensors.ts";
export * from "./optim.ts";
export * from "./schedule.ts";
export * from "./data/idx.ts";
export * from "./data/dataset.ts";
export * from "./data/mnist.ts";
export * from "./data/fashion_mnist.ts";
export * from "./data/augment.ts";
export * from "./images.ts";
export * from "./train.ts";
export * from "./ops_quant.ts";
export * from "./qat.ts";
export * from "./fold.ts";
export * from "./models.ts";
export * from "./reference_model.ts";

/**
 * The MLPerf Tiny reference architectures (github.com/mlcommons/tiny, benchmark/training) rebuilt
 * with `@lowbit/nn` layers, as shaped, BN-folded `@lowbit/graph` graphs for the cost model:
 * DS-CNN keyword spotting, MobileNetV1 0.25× visual wake words at 96×96, ResNet-8 on CIFAR-10
 * shapes, the FC autoencoder for anomaly detection. Weights are random and seeded: cost does not
 * depend on their values. Used by benchmarks/hardware_report.ts, benchmarks/hardware_fit.ts and
 * notebook 12.
 *
 * @module
 */

import { fromNn } from "@lowbit/graph/from-nn";
import { inferShapes } from "@lowbit/graph/executor";
import type { Graph } from "@lowbit/graph/ir";
import { optimize } from "@lowbit/graph/passes";
import {
  BatchNorm1d,
  BatchNorm2d,
  Conv2d,
  GlobalAvgPool,
  Linear,
  MaxPool2d,
  type Module,
  ReLU,
  Residual,
  Sequential,
} from "@lowbit/nn";
import { fashionCnn, mnistCnn } from "@lowbit/nn/models";
import { Philox } from "@lowbit/rounding/philox";

// The MLPerf Tiny v0.5 reference architectures (github.com/mlcommons/tiny, benchmark/training),
// rebuilt with @lowbit/nn layers; random seeded weights suffice for cost. TensorFlow "same"
// padding of a stride-2 layer on an even input pads bottom/right only ([top, left, bottom, right]).
type Pad4 = readonly [number, number, number, number];
function convBnRelu(
  r: Philox,
  name: string,
  c: number,
  o: number,
  k: number | readonly [number, number],
  stride: number,
  padding: number | Pad4,
  groups = 1,
): [string, Module][] {
  return [
    [`${name}`, new Conv2d(c, o, k, { random: r, stride, padding, groups })],
    [`${name}_bn`, new BatchNorm2d(o)],
    [`${name}_relu`, new ReLU()],
  ];
}
/** DS-CNN (keyword spotting): 49×10 MFCC input, 64 channels, 4 depthwise-separable blocks, 12 classes. */
export function dsCnn(seed: number): Sequential {
  const r = new Philox(seed, 1);
  const layers: [string, Module][] = convBnRelu(r, "conv1", 1, 64, [10, 4], 2, [4, 1, 5, 1]);
  for (let i = 1; i <= 4; i++) {
    layers.push(...convBnRelu(r, `dw${i}`, 64, 64, 3, 1, 1, 64));
    layers.push(...convBnRelu(r, `pw${i}`, 64, 64, 1, 1, 0));
  }
  layers.push(["pool", new GlobalAvgPool()], ["fc", new Linear(64, 12, { random: r })]);
  return new Sequential(layers);
}
/** MobileNetV1 α = 0.25 (visual wake words): 96×96×3 input, 2 classes. */
export function mobileNetV1Vww(seed: number): Sequential {
  return mobileNetV1(seed, 0.25, 2);
}
/** ResNet-8 (CIFAR-10 image classification): 32×32×3 input, stacks of 16, 32, 64 channels. */
export function resNet8(seed: number): Sequential {
  const r = new Philox(seed, 1);
  const layers: [string, Module][] = convBnRelu(r, "conv1", 3, 16, 3, 1, 1);
  let c = 16;
  for (const [i, o] of [[1, 16], [2, 32], [3, 64]] as const) {
    const s = o === c ? 1 : 2;
    const body = new Sequential([
      ...convBnRelu(r, "a", c, o, 3, s, s === 2 ? [0, 0, 1, 1] : 1),
      ["b", new Conv2d(o, o, 3, { random: r, padding: 1 })],
      ["b_bn", new BatchNorm2d(o)],
    ]);
    const shortcut = s === 1 ? undefined : new Conv2d(c, o, 1, { random: r, stride: 2 });
    layers.push([`stack${i}`, new Residual(body, shortcut)], [`stack${i}_relu`, new ReLU()]);
    c = o;
  }
  layers.push(["pool", new GlobalAvgPool()], ["fc", new Linear(64, 10, { random: r })]);
  return new Sequential(layers);
}
/** The FC autoencoder (anomaly detection, ToyADMOS): 640 → 4×128 → 8 → 4×128 → 640. */
export function fcAutoencoder(seed: number): Sequential {
  const r = new Philox(seed, 1);
  const widths = [640, 128, 128, 128, 128, 8, 128, 128, 128, 128];
  const layers: [string, Module][] = [];
  for (let i = 1; i < widths.length; i++) {
    layers.push(
      [`fc${i}`, new Linear(widths[i - 1], widths[i], { random: r })],
      [`fc${i}_bn`, new BatchNorm1d(widths[i])],
      [`fc${i}_relu`, new ReLU()],
    );
  }
  layers.push(["out", new Linear(128, 640, { random: r })]);
  return new Sequential(layers);
}

/**
 * ResNet-50 (He et al. 2016, Table 1; torchvision layout: stride on the 3×3 of each bottleneck)
 * for 224×224 ImageNet inputs: 7×7 stem, 3×3 max pool, bottleneck stages of [3, 4, 6, 3] blocks
 * (64, 128, 256, 512 channels, expansion 4), 1000 classes. HAWQ-V3 reports its T4 latencies on it.
 */
export function resNet50(seed: number): Sequential {
  const r = new Philox(seed, 1);
  const layers: [string, Module][] = convBnRelu(r, "conv1", 3, 64, 7, 2, 3);
  layers.push(["maxpool", new MaxPool2d({ kernel: 3, stride: 2, padding: 1 })]);
  let c = 64;
  for (
    const [i, [width, blocks, stride]]
      of ([[64, 3, 1], [128, 4, 2], [256, 6, 2], [512, 3, 2]] as const).entries()
  ) {
    for (let b = 0; b < blocks; b++) {
      const s = b === 0 ? stride : 1;
      const o = width * 4;
      const body = new Sequential([
        ...convBnRelu(r, "a", c, width, 1, 1, 0),
        ...convBnRelu(r, "b", width, width, 3, s, 1),
        ["c", new Conv2d(width, o, 1, { random: r })],
        ["c_bn", new BatchNorm2d(o)],
      ]);
      const shortcut = b === 0
        ? new Sequential([["conv", new Conv2d(c, o, 1, { random: r, stride: s })], [
          "bn",
          new BatchNorm2d(o),
        ]])
        : undefined;
      layers.push([`layer${i + 1}_${b}`, new Residual(body, shortcut)], [
        `layer${i + 1}_${b}_relu`,
        new ReLU(),
      ]);
      c = o;
    }
  }
  layers.push(["pool", new GlobalAvgPool()], ["fc", new Linear(2048, 1000, { random: r })]);
  return new Sequential(layers);
}

/**
 * MobileNetV1 (Howard et al. 2017, Table 1) with width multiplier α: at α = 1, 224×224 and 1000
 * classes it is the architecture of Coral's "MobileNet v1 (224x224)" Edge TPU benchmark; at
 * α = 0.25 with 2 classes, MLPerf Tiny's visual wake words model.
 */
export function mobileNetV1(seed: number, alpha = 1, classes = 1000): Sequential {
  const r = new Philox(seed, 1);
  const w = (ch: number) => ch * alpha;
  const layers: [string, Module][] = convBnRelu(r, "conv1", 3, w(32), 3, 2, [0, 0, 1, 1]);
  // [out channels at α = 1, stride] of the 13 depthwise-separable blocks
  const blocks: [number, number][] = [
    [64, 1],
    [128, 2],
    [128, 1],
    [256, 2],
    [256, 1],
    [512, 2],
    [512, 1],
    [512, 1],
    [512, 1],
    [512, 1],
    [512, 1],
    [1024, 2],
    [1024, 1],
  ];
  let c = w(32);
  blocks.forEach(([o, s], i) => {
    layers.push(...convBnRelu(r, `dw${i + 1}`, c, c, 3, s, s === 2 ? [0, 0, 1, 1] : 1, c));
    layers.push(...convBnRelu(r, `pw${i + 1}`, c, w(o), 1, 1, 0));
    c = w(o);
  });
  layers.push(["pool", new GlobalAvgPool()], ["fc", new Linear(c, classes, { random: r })]);
  return new Sequential(layers);
}

/** A shaped model graph with its input name and shape. */
export interface ShapedModel {
  /** Model name (validation.json's `model`). */
  name: string;
  /** The BN-folded, shaped graph. */
  graph: Graph;
  /** Input value name. */
  input: string;
  /** Input shape. */
  shape: number[];
}

/** An `@lowbit/nn` module as a BN-folded graph with static shapes. */
export function shapedModel(name: string, net: Module, perImage: number[], batch = 1): ShapedModel {
  const shape = [batch, ...perImage];
  const g = fromNn(net.eval(), { inputShape: shape, name });
  return {
    name,
    graph: inferShapes(optimize(g, { input: shape }), { input: shape }),
    input: "input",
    shape,
  };
}

/**
 * Larger models some validation points use, built on demand (shape inference runs the float
 * executor: seconds for MobileNetV1, about a minute for ResNet-50 at 299×299).
 */
export const EXTRA_MODELS: Readonly<Record<string, () => ShapedModel>> = {
  "mobilenet-v1-224": () => shapedModel("mobilenet-v1-224", mobileNetV1(0), [3, 224, 224]),
  "resnet50-224": () => shapedModel("resnet50-224", resNet50(0), [3, 224, 224]),
  "resnet50-299": () => shapedModel("resnet50-299", resNet50(0), [3, 299, 299]),
};

/** The MNIST and Fashion CNNs of `@lowbit/nn` and the four MLPerf Tiny models (seed 0). */
export function referenceModels(batch = 1): ShapedModel[] {
  return [
    shapedModel("mnist-cnn", mnistCnn(0), [1, 28, 28], batch),
    shapedModel("fashion-cnn", fashionCnn(0), [1, 28, 28], batch),
    shapedModel("mlperf-tiny-ds-cnn", dsCnn(0), [1, 49, 10], batch),
    shapedModel("mlperf-tiny-mobilenetv1-vww", mobileNetV1Vww(0), [3, 96, 96], batch),
    shapedModel("mlperf-tiny-resnet8", resNet8(0), [3, 32, 32], batch),
    shapedModel("mlperf-tiny-fc-autoencoder", fcAutoencoder(0), [640], batch),
  ];
}

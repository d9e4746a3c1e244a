/**
 * The named floating-point formats used in deep learning, as {@linkcode FloatFormat} instances.
 *
 * | format | bits | e | m | bias | specials | max | min subnormal |
 * | --- | --- | --- | --- | --- | --- | --- | --- |
 * | FP32 | 32 | 8 | 23 | 127 | ieee | 3.40e38 | 2^−149 |
 * | FP16 | 16 | 5 | 10 | 15 | ieee | 65504 | 2^−24 |
 * | BF16 | 16 | 8 | 7 | 127 | ieee | 3.39e38 | 2^−133 |
 * | TF32 | 19 (stored in 32) | 8 | 10 | 127 | ieee | 3.40e38 | 2^−136 |
 * | FP8 E4M3FN | 8 | 4 | 3 | 7 | fn | 448 | 2^−9 |
 * | FP8 E5M2 | 8 | 5 | 2 | 15 | ieee | 57344 | 2^−16 |
 * | FP8 E4M3FNUZ | 8 | 4 | 3 | 8 | fnuz | 240 | 2^−10 |
 * | FP8 E5M2FNUZ | 8 | 5 | 2 | 16 | fnuz | 57344 | 2^−17 |
 * | FP6 E3M2 | 6 | 3 | 2 | 3 | all | 28 | 2^−4 |
 * | FP6 E2M3 | 6 | 2 | 3 | 1 | all | 7.5 | 2^−3 |
 * | FP4 E2M1 | 4 | 2 | 1 | 1 | all | 6 | 0.5 |
 *
 * Sources: IEEE 754-2019; OCP 8-bit Floating Point Specification (OFP8) rev. 1.0; OCP
 * Microscaling Formats (MX) v1.0 §5.3; ONNX `FLOAT8E4M3FNUZ`/`FLOAT8E5M2FNUZ`; NVIDIA A100 TF32.
 *
 * @module
 */

import { FloatFormat } from "./minifloat.ts";

/**
 * IEEE binary32 itself, as a format object (encode = round to float32, return its bits).
 *
 * @example
 * ```ts
 * import { FP32 } from "@lowbit/numerics/formats";
 * import { equal } from "node:assert/strict";
 * equal(FP32.encode(1), 0x3f800000);
 * equal(FP32.round(0.1), Math.fround(0.1));
 * ```
 */
export const FP32: FloatFormat<Uint32Array> = new FloatFormat({
  exponentBits: 8,
  mantissaBits: 23,
  name: "FP32",
});

/**
 * IEEE binary16 (half precision); same results as the native `Float16Array`.
 *
 * @example
 * ```ts
 * import { FP16 } from "@lowbit/numerics/formats";
 * import { equal } from "node:assert/strict";
 * equal(FP16.encode(1), 0x3c00);
 * equal(FP16.max, 65504);
 * equal(FP16.encode(65520), 0x7c00); // rounds past max: +Infinity
 * equal(FP16.encode(65520, { saturate: true }), 0x7bff);
 * ```
 */
export const FP16: FloatFormat<Uint16Array> = new FloatFormat({
  exponentBits: 5,
  mantissaBits: 10,
  name: "FP16",
});

/**
 * bfloat16: the top half of a float32, rounded to nearest even.
 *
 * @example
 * ```ts
 * import { BF16 } from "@lowbit/numerics/formats";
 * import { equal } from "node:assert/strict";
 * equal(BF16.encode(1), 0x3f80);
 * equal(BF16.round(1 + 2 ** -8), 1); // tie: even mantissa
 * equal(BF16.round(257), 256); // 8 significant bits
 * ```
 */
export const BF16: FloatFormat<Uint16Array> = new FloatFormat({
  exponentBits: 8,
  mantissaBits: 7,
  name: "BF16",
});

/**
 * TensorFloat-32 (NVIDIA A100): 8 exponent and 10 mantissa bits. Patterns are float32 bit
 * patterns with the low 13 mantissa bits cleared (`bits` = 19, `storageBits` = 32).
 *
 * @example
 * ```ts
 * import { TF32 } from "@lowbit/numerics/formats";
 * import { equal } from "node:assert/strict";
 * equal(TF32.encode(1), 0x3f800000);
 * equal(TF32.encode(1 + 2 ** -10), 0x3f802000);
 * equal(TF32.round(1 + 2 ** -12), 1);
 * ```
 */
export const TF32: FloatFormat<Uint32Array> = new FloatFormat({
  exponentBits: 8,
  mantissaBits: 10,
  name: "TF32",
}, { storageShift: 13 });

/**
 * OCP FP8 E4M3FN: no infinities, NaN = S.1111.111, max 448.
 *
 * @example
 * ```ts
 * import { FP8_E4M3FN } from "@lowbit/numerics/formats";
 * import { equal } from "node:assert/strict";
 * equal(FP8_E4M3FN.max, 448);
 * equal(FP8_E4M3FN.decode(0x7e), 448);
 * equal(FP8_E4M3FN.decode(0x01), 2 ** -9);
 * ```
 */
export const FP8_E4M3FN: FloatFormat<Uint8Array> = new FloatFormat({
  exponentBits: 4,
  mantissaBits: 3,
  finite: "fn",
  name: "FP8_E4M3FN",
});

/**
 * OCP FP8 E5M2: IEEE-style, with ±∞ and NaN; max 57344.
 *
 * @example
 * ```ts
 * import { FP8_E5M2 } from "@lowbit/numerics/formats";
 * import { equal } from "node:assert/strict";
 * equal(FP8_E5M2.max, 57344);
 * equal(FP8_E5M2.decode(0x7c), Infinity);
 * ```
 */
export const FP8_E5M2: FloatFormat<Uint8Array> = new FloatFormat({
  exponentBits: 5,
  mantissaBits: 2,
  name: "FP8_E5M2",
});

/**
 * FP8 E4M3FNUZ (Graphcore/AMD, ONNX): bias 8, no −0, NaN = 0x80, max 240.
 *
 * @example
 * ```ts
 * import { FP8_E4M3FNUZ } from "@lowbit/numerics/formats";
 * import { equal } from "node:assert/strict";
 * equal(FP8_E4M3FNUZ.max, 240);
 * equal(FP8_E4M3FNUZ.encode(-0), 0x00);
 * equal(FP8_E4M3FNUZ.decode(0x80), NaN);
 * ```
 */
export const FP8_E4M3FNUZ: FloatFormat<Uint8Array> = new FloatFormat({
  exponentBits: 4,
  mantissaBits: 3,
  finite: "fnuz",
  name: "FP8_E4M3FNUZ",
});

/**
 * FP8 E5M2FNUZ (Graphcore/AMD, ONNX): bias 16, no ∞, no −0, NaN = 0x80, max 57344.
 *
 * @example
 * ```ts
 * import { FP8_E5M2FNUZ } from "@lowbit/numerics/formats";
 * import { equal } from "node:assert/strict";
 * equal(FP8_E5M2FNUZ.max, 57344);
 * equal(FP8_E5M2FNUZ.minSubnormal, 2 ** -17);
 * ```
 */
export const FP8_E5M2FNUZ: FloatFormat<Uint8Array> = new FloatFormat({
  exponentBits: 5,
  mantissaBits: 2,
  finite: "fnuz",
  name: "FP8_E5M2FNUZ",
});

/**
 * OCP MX FP6 E3M2: every pattern finite, max 28. Patterns use the low 6 bits of a byte.
 *
 * @example
 * ```ts
 * import { FP6_E3M2 } from "@lowbit/numerics/formats";
 * import { equal } from "node:assert/strict";
 * equal(FP6_E3M2.max, 28);
 * equal(FP6_E3M2.minSubnormal, 0.0625);
 * equal(FP6_E3M2.encode(1000), 0x1f); // always saturates
 * ```
 */
export const FP6_E3M2: FloatFormat<Uint8Array> = new FloatFormat({
  exponentBits: 3,
  mantissaBits: 2,
  finite: "all",
  name: "FP6_E3M2",
});

/**
 * OCP MX FP6 E2M3: every pattern finite, max 7.5.
 *
 * @example
 * ```ts
 * import { FP6_E2M3 } from "@lowbit/numerics/formats";
 * import { equal } from "node:assert/strict";
 * equal(FP6_E2M3.max, 7.5);
 * equal(FP6_E2M3.minSubnormal, 0.125);
 * ```
 */
export const FP6_E2M3: FloatFormat<Uint8Array> = new FloatFormat({
  exponentBits: 2,
  mantissaBits: 3,
  finite: "all",
  name: "FP6_E2M3",
});

/**
 * OCP MX FP4 E2M1: the eight magnitudes 0, 0.5, 1, 1.5, 2, 3, 4, 6.
 *
 * @example
 * ```ts
 * import { FP4_E2M1 } from "@lowbit/numerics/formats";
 * import { equal } from "node:assert/strict";
 * equal(FP4_E2M1.encode(-6), 0xf);
 * equal(FP4_E2M1.round(2.5), 2); // tie to even mantissa
 * ```
 */
export const FP4_E2M1: FloatFormat<Uint8Array> = new FloatFormat({
  exponentBits: 2,
  mantissaBits: 1,
  finite: "all",
  name: "FP4_E2M1",
});

import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { Philox } from "@lowbit/rounding/philox";
import { avgPool2d, globalAvgPool2d, maxPool2d } from "./pool.ts";
import { QuantizedTensor } from "./quantized_tensor.ts";

Deno.test("max/avg pooling equal brute force over windows (stride, padding, int8 and uint8)", () => {
  const g = new Philox(41, 0);
  const cases = [
    { h: 6, w: 6, k: 2, s: 2, p: 0 },
    { h: 7, w: 9, k: 2, s: 2, p: 0 }, // the 2×2 stride-2 path with a row and a column left over
    { h: 2, w: 2, k: 2, s: 2, p: 0 },
    { h: 7, w: 5, k: 3, s: 2, p: 1 },
    { h: 5, w: 8, k: 3, s: 1, p: 1 },
  ];
  for (const dtype of ["int8", "uint8"] as const) {
    for (const t of cases) {
      const n = 2, c = 3, size = n * c * t.h * t.w;
      const codes = Array.from(
        { length: size },
        () => (g.nextUint32() & 255) - (dtype === "int8" ? 128 : 0),
      );
      const x = QuantizedTensor.fromCodes(codes, [n, c, t.h, t.w], dtype, 0.1, {
        zeroPoint: dtype === "int8" ? -3 : 120,
      });
      const opts = { kernel: t.k, stride: t.s, padding: t.p };
      const mx = maxPool2d(x, opts), av = avgPool2d(x, opts);
      const oh = Math.floor((t.h + 2 * t.p - t.k) / t.s) + 1,
        ow = Math.floor((t.w + 2 * t.p - t.k) / t.s) + 1;
      deepEqual(mx.shape, [n, c, oh, ow]);
      let at = 0;
      for (let b = 0; b < n * c; b++) {
        for (let i = 0; i < oh; i++) {
          for (let j = 0; j < ow; j++, at++) {
            const taps: number[] = [];
            for (let u = 0; u < t.k; u++) {
              for (let v = 0; v < t.k; v++) {
                const yy = i * t.s - t.p + u, xx = j * t.s - t.p + v;
                if (yy >= 0 && yy < t.h && xx >= 0 && xx < t.w) {
                  taps.push(codes[(b * t.h + yy) * t.w + xx]);
                }
              }
            }
            equal(mx.q[at], Math.max(...taps));
            // Nearest integer to the exact mean, ties away from zero, in exact integer arithmetic.
            const sum = taps.reduce((s, v) => s + v, 0), cnt = taps.length;
            const mag = Math.floor((2 * Math.abs(sum) + cnt) / (2 * cnt));
            equal(av.q[at], sum < 0 ? -mag : mag, `avg ${dtype} ${JSON.stringify(t)} @${at}`);
          }
        }
      }
      // Max pooling commutes with dequantization.
      const real = x.dequantize();
      ok(mx.dequantize().every((v) => real.includes(v)));
    }
  }
  const x = QuantizedTensor.fromCodes([1, 2, 3, 4, 5, 6], [1, 1, 2, 3], "uint8", 1);
  deepEqual([...globalAvgPool2d(x).q], [4]); // 21 / 6 = 3.5 → 4
  throws(() => maxPool2d(x, { kernel: 3 }), /does not fit/);
  throws(() => maxPool2d(x, { kernel: 0 }), /kernel/);
  throws(() => avgPool2d(x, { kernel: 2, padding: 2 }), /padding/);
});

Deno.test("avgPool2d countIncludePad: codes equal the rounded float mean of the real values (≤ 0.5 LSB)", () => {
  const g = new Philox(43, 0);
  for (const include of [false, true]) {
    for (const zp of [0, 7, 200]) {
      const n = 1, c = 2, h = 5, w = 6, scale = 0.25, k = 3, s = 2, p = 1;
      const codes = Array.from({ length: n * c * h * w }, () => g.nextUint32() & 255);
      const x = QuantizedTensor.fromCodes(codes, [n, c, h, w], "uint8", scale, { zeroPoint: zp });
      const y = avgPool2d(x, { kernel: k, stride: s, padding: p, countIncludePad: include });
      const oh = Math.floor((h + 2 * p - k) / s) + 1, ow = Math.floor((w + 2 * p - k) / s) + 1;
      equal(y.q.length, n * c * oh * ow);
      for (let ch = 0; ch < n * c; ch++) {
        for (let i = 0; i < oh; i++) {
          for (let j = 0; j < ow; j++) {
            let sum = 0, taps = 0;
            for (let a = 0; a < k; a++) {
              for (let b = 0; b < k; b++) {
                const r = i * s - p + a, col = j * s - p + b;
                if (r < 0 || r >= h || col < 0 || col >= w) continue;
                sum += (codes[(ch * h + r) * w + col] - zp) * scale; // padded taps add 0
                taps++;
              }
            }
            const mean = sum / (include ? k * k : taps);
            const got = (y.q[(ch * oh + i) * ow + j] - zp) * scale;
            ok(
              Math.abs(got - mean) <= scale / 2 + 1e-9,
              `include ${include} zp ${zp}: ${got} vs ${mean}`,
            );
          }
        }
      }
    }
  }
  throws(() =>
    avgPool2d(QuantizedTensor.fromCodes([1], [1, 1, 1, 1], "uint8", 1), {
      kernel: 1,
      countIncludePad: "yes" as unknown as boolean,
    }), /options\.countIncludePad/);
});

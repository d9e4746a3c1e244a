// Fused layers against independent naive loops: accumulators from a direct 7-deep loop, then
// the scalar requantization primitives and the activation clamp applied by hand.
import { deepEqual, equal, throws } from "node:assert/strict";
import { Philox } from "@lowbit/rounding/philox";
import {
  activationClamp,
  conv2d,
  fullyConnected,
  type FusedActivation,
  type OutputQuant,
  packWeights,
} from "./fused.ts";
import { QuantizedTensor } from "./quantized_tensor.ts";
import {
  multiplyByQuantizedMultiplier,
  quantizeMultiplier,
  requantizeFloat,
} from "./requantize.ts";

function rand(g: Philox, n: number, lo: number, hi: number): number[] {
  return Array.from({ length: n }, () => lo + (g.nextUint32() % (hi - lo + 1)));
}

function requant(
  acc: number,
  real: number,
  mode: "fixed" | "float",
  zp: number,
  lo: number,
  hi: number,
): number {
  if (mode === "float") return requantizeFloat(acc, Math.fround(real), zp, lo, hi);
  const { multiplier, shift } = quantizeMultiplier(real);
  return Math.min(hi, Math.max(lo, multiplyByQuantizedMultiplier(acc, multiplier, shift) + zp));
}

Deno.test("conv2d (groups, depthwise, stride, padding, per-channel, bias, ReLU/ReLU6) equals naive loops", () => {
  const g = new Philox(31, 0);
  const cases = [
    { n: 2, c: 3, h: 7, w: 6, o: 4, k: 3, s: 1, p: 1, groups: 1 },
    { n: 1, c: 4, h: 8, w: 8, o: 6, k: 3, s: 2, p: 0, groups: 2 },
    { n: 1, c: 5, h: 6, w: 5, o: 5, k: 3, s: 1, p: 1, groups: 5 },
    { n: 1, c: 3, h: 5, w: 5, o: 6, k: 1, s: 1, p: 0, groups: 3 },
  ];
  for (const mode of ["fixed", "float"] as const) {
    for (const act of ["none", "relu", "relu6"] as FusedActivation[]) {
      for (const t of cases) {
        const cg = t.c / t.groups, og = t.o / t.groups;
        const xCodes = rand(g, t.n * t.c * t.h * t.w, 0, 255);
        const wCodes = rand(g, t.o * cg * t.k * t.k, -127, 127);
        const bias = Int32Array.from(rand(g, t.o, -500, 500));
        const sx = 0.02, sw = Float32Array.from({ length: t.o }, (_, i) => 0.003 * (1 + i / 3));
        const x = new QuantizedTensor({
          q: Uint8Array.from(xCodes),
          shape: [t.n, t.c, t.h, t.w],
          dtype: "uint8",
          scale: sx,
          zeroPoint: 120,
        });
        const w = new QuantizedTensor({
          q: Int8Array.from(wCodes),
          shape: [t.o, cg, t.k, t.k],
          dtype: "int8",
          scale: sw,
          axis: 0,
        });
        const out = { scale: 0.05, zeroPoint: -20, dtype: "int8" as const };
        const y = conv2d(x, w, out, {
          stride: t.s,
          padding: t.p,
          groups: t.groups,
          bias,
          activation: act,
          mode,
        });
        const oh = Math.floor((t.h + 2 * t.p - t.k) / t.s) + 1,
          ow = Math.floor((t.w + 2 * t.p - t.k) / t.s) + 1;
        deepEqual(y.shape, [t.n, t.o, oh, ow]);
        const { clampMin, clampMax } = activationClamp(act, out);
        const want: number[] = [];
        for (let b = 0; b < t.n; b++) {
          for (let o = 0; o < t.o; o++) {
            const grp = Math.floor(o / og);
            for (let i = 0; i < oh; i++) {
              for (let j = 0; j < ow; j++) {
                let acc = bias[o];
                for (let c = 0; c < cg; c++) {
                  for (let u = 0; u < t.k; u++) {
                    for (let v = 0; v < t.k; v++) {
                      const yy = i * t.s - t.p + u, xx = j * t.s - t.p + v;
                      if (yy < 0 || yy >= t.h || xx < 0 || xx >= t.w) continue;
                      const xi = ((b * t.c + grp * cg + c) * t.h + yy) * t.w + xx;
                      acc += (xCodes[xi] - 120) * wCodes[((o * cg + c) * t.k + u) * t.k + v];
                    }
                  }
                }
                want.push(requant(acc, (x.scale[0] * sw[o]) / 0.05, mode, -20, clampMin, clampMax));
              }
            }
          }
        }
        deepEqual([...y.q], want, `${mode} ${act} ${JSON.stringify(t)}`);
      }
    }
  }
});

Deno.test("fullyConnected equals naive loops; clamps; errors", () => {
  const g = new Philox(32, 0);
  const [n, k, o] = [3, 37, 5];
  const xc = rand(g, n * k, -128, 127),
    wc = rand(g, o * k, -127, 127),
    bias = Int32Array.from(rand(g, o, -999, 999));
  const x = new QuantizedTensor({
    q: Int8Array.from(xc),
    shape: [n, k],
    dtype: "int8",
    scale: 0.1,
    zeroPoint: 5,
  });
  const w = new QuantizedTensor({
    q: Int8Array.from(wc),
    shape: [o, k],
    dtype: "int8",
    scale: 0.01,
  });
  const out = { scale: 0.4, zeroPoint: 10, dtype: "uint8" as const };
  const y = fullyConnected(x, w, out, { bias, activation: "relu" });
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < o; j++) {
      let acc = bias[j];
      for (let p = 0; p < k; p++) acc += (xc[i * k + p] - 5) * wc[j * k + p];
      equal(y.q[i * o + j], requant(acc, (0.1 * 0.01) / 0.4, "fixed", 10, 10, 255));
    }
  }
  throws(
    () =>
      fullyConnected(
        x,
        new QuantizedTensor({ q: new Int8Array(4), shape: [2, 2], dtype: "int8", scale: 1 }),
        out,
      ),
    /agree on K/,
  );
  throws(() => activationClamp("gelu" as FusedActivation, out), /activation/);
  deepEqual(activationClamp("relu6", { scale: 0.01, zeroPoint: 0, dtype: "uint8" }), {
    clampMin: 0,
    clampMax: 255,
  });
});

Deno.test("fullyConnected with pre-packed weights equals the unpacked call (per-channel, fixed and float)", () => {
  const g = new Philox(33, 0);
  const [n, k, o] = [2, 300, 70];
  const x = QuantizedTensor.fromCodes(rand(g, n * k, -128, 127), [n, k], "int8", 0.05, {
    zeroPoint: -3,
  });
  const w = QuantizedTensor.fromCodes(
    rand(g, o * k, -127, 127),
    [o, k],
    "int8",
    Float32Array.from({ length: o }, (_, i) => 0.001 * (1 + i % 7)),
    {
      axis: 0,
    },
  );
  const bias = Int32Array.from(rand(g, o, -3000, 3000));
  using packed = packWeights(w);
  for (const mode of ["fixed", "float"] as const) {
    const out = { scale: 0.3, zeroPoint: 2, dtype: "int8" as const };
    deepEqual(
      [...fullyConnected(x, w, out, { bias, mode, packed }).q],
      [...fullyConnected(x, w, out, { bias, mode }).q],
    );
  }
  throws(
    () =>
      fullyConnected(x, QuantizedTensor.fromCodes([1], [1, 1], "int8", 1), {
        scale: 1,
        zeroPoint: 0,
        dtype: "int8",
      }, { packed }),
    /agree on K/,
  );
});

Deno.test("fullyConnected and conv2d reject bad output parameters naming out.dtype / out.scale / out.zeroPoint", () => {
  const x = new QuantizedTensor({
    q: new Uint8Array([130, 126]),
    shape: [1, 2],
    dtype: "uint8",
    scale: 1,
    zeroPoint: 128,
  });
  const w = new QuantizedTensor({
    q: new Int8Array([3, 0, 0, 3]),
    shape: [2, 2],
    dtype: "int8",
    scale: 1,
  });
  const bad = (out: Record<string, unknown>) => () =>
    fullyConnected(x, w, out as unknown as OutputQuant);
  // int16 used to crash with "Cannot destructure property 'min' of DTYPE_RANGE[out.dtype]"
  throws(
    bad({ scale: 1, zeroPoint: 0, dtype: "int16" }),
    /out\.dtype must be "int8" or "uint8", got int16/,
  );
  throws(
    bad({ scale: 0, zeroPoint: 0, dtype: "int8" }),
    /out\.scale must be finite and > 0, got 0/,
  );
  throws(bad({ scale: NaN, zeroPoint: 0, dtype: "int8" }), /out\.scale/);
  throws(
    bad({ scale: 1, zeroPoint: 300, dtype: "int8" }),
    /out\.zeroPoint must be an integer in \[-128, 127\], got 300/,
  );
  const img = new QuantizedTensor({
    q: new Uint8Array(4),
    shape: [1, 1, 2, 2],
    dtype: "uint8",
    scale: 1,
  });
  const k = new QuantizedTensor({
    q: new Int8Array(1),
    shape: [1, 1, 1, 1],
    dtype: "int8",
    scale: 1,
  });
  throws(() => conv2d(img, k, { scale: 1, zeroPoint: 0, dtype: "int16" as "int8" }), /out\.dtype/);
});

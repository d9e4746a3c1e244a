/**
 * Seeded data augmentation for image batches: a random affine warp per image (rotation,
 * isotropic scale, translation) resampled bilinearly, optionally followed by a random
 * left–right mirror, with the background filled by a constant
 * (the normalized value of a black pixel). The map sends output pixel p to source pixel
 * q = R(−θ)·(p − c − t)/s + c (c: the image centre), sampled bilinearly; outside the image the
 * fill value is used.
 *
 * @example
 * ```ts
 * import { randomAffine } from "@lowbit/nn/data/augment";
 * import { Variable } from "@lowbit/nn/autograd";
 * import { deepEqual } from "node:assert/strict";
 * const identity = randomAffine({ seed: 1 }); // all ranges 0
 * const b = { x: Variable.from([1, 2, 3, 4], [1, 1, 2, 2]), labels: new Int32Array([0]) };
 * deepEqual([...identity(b).x.data], [1, 2, 3, 4]);
 * ```
 *
 * @module
 */

import { Philox } from "@lowbit/rounding/philox";
import { Variable } from "../autograd.ts";
import type { Batch } from "./dataset.ts";

/** Options of {@linkcode randomAffine}. */
export interface AffineOptions {
  /** Seed of the augmentation's own Philox stream. */
  seed: number;
  /** Largest translation in pixels along each axis (uniform in [−t, t]; default 0). */
  maxShift?: number;
  /** Largest rotation in degrees (uniform in [−r, r]; default 0). */
  maxRotation?: number;
  /** Largest relative scale change (scale uniform in [1 − s, 1 + s]; default 0). */
  maxScale?: number;
  /** Background value (default 0). */
  fill?: number;
  /**
   * Round translations to whole pixels (default false). With no rotation and no scaling the
   * warp is then an exact shift (no interpolation blur).
   */
  wholePixels?: boolean;
  /**
   * Mirror each image left–right with probability 1/2 after the warp (default false; the
   * coin is drawn after the image's warp, so streams without it are unchanged).
   */
  flip?: boolean;
}

/**
 * Makes a batch transform that warps every image of a `[B, C, H, W]` batch by its own random
 * affine map (the same map for all channels of an image). Successive calls continue the
 * seeded stream, so a training run is reproducible.
 *
 * @param options Seed, ranges, fill value.
 * @returns The transform.
 * @throws {RangeError} If a range is negative or not finite.
 *
 * @example A one-pixel shift moves the content
 * ```ts
 * import { randomAffine } from "@lowbit/nn/data/augment";
 * import { Variable } from "@lowbit/nn/autograd";
 * import { ok } from "node:assert/strict";
 * const warp = randomAffine({ seed: 3, maxShift: 1 });
 * const x = Variable.from(Array.from({ length: 25 }, (_, i) => (i === 12 ? 1 : 0)), [1, 1, 5, 5]);
 * const y = warp({ x, labels: new Int32Array([0]) }).x.data;
 * ok(Math.abs(y.reduce((a, v) => a + v, 0) - 1) < 1e-6); // mass kept for a sub-pixel move
 * ```
 */
export function randomAffine(options: AffineOptions): (b: Batch) => Batch {
  const shift = options.maxShift ?? 0, rot = options.maxRotation ?? 0;
  const scl = options.maxScale ?? 0, fill = options.fill ?? 0;
  for (const [n, v] of [["maxShift", shift], ["maxRotation", rot], ["maxScale", scl]] as const) {
    if (!(v >= 0) || !Number.isFinite(v)) {
      throw new RangeError(`options.${n} must be a finite non-negative number; got ${v}`);
    }
  }
  if (scl >= 1) throw new RangeError(`options.maxScale must be below 1; got ${scl}`);
  const random = new Philox(options.seed, 0xa11e);
  const u = (r: number) => (2 * random.uniform() - 1) * r;
  return (b) => {
    const [n, c, h, w] = b.x.shape;
    const src = b.x.data;
    const out = new Float32Array(src.length);
    const cy = (h - 1) / 2, cx = (w - 1) / 2;
    for (let i = 0; i < n; i++) {
      const theta = (u(rot) * Math.PI) / 180, s = 1 + u(scl);
      let ty = u(shift), tx = u(shift);
      if (options.wholePixels) {
        ty = Math.round(ty);
        tx = Math.round(tx);
      }
      const cos = Math.cos(theta) / s, sin = Math.sin(theta) / s;
      const mirror = options.flip === true && random.uniform() < 0.5;
      for (let ch = 0; ch < c; ch++) {
        const base = (i * c + ch) * h * w;
        for (let y = 0; y < h; y++) {
          for (let x = 0; x < w; x++) {
            const dy = y - cy - ty, dx = x - cx - tx;
            const sy = cos * dy - sin * dx + cy, sx = sin * dy + cos * dx + cx;
            const y0 = Math.floor(sy), x0 = Math.floor(sx);
            const fy = sy - y0, fx = sx - x0;
            const at = (yy: number, xx: number) =>
              yy >= 0 && yy < h && xx >= 0 && xx < w ? src[base + yy * w + xx] : fill;
            out[base + y * w + (mirror ? w - 1 - x : x)] =
              (1 - fy) * ((1 - fx) * at(y0, x0) + fx * at(y0, x0 + 1)) +
              fy * ((1 - fx) * at(y0 + 1, x0) + fx * at(y0 + 1, x0 + 1));
          }
        }
      }
    }
    return { x: new Variable(out, b.x.shape), labels: b.labels };
  };
}

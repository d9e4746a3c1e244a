import { deepEqual, ok, throws } from "node:assert/strict";
import { Variable } from "../autograd.ts";
import { randomAffine } from "./augment.ts";

const batch = (data: number[], h: number, w: number) => ({
  x: Variable.from(data, [1, 1, h, w]),
  labels: new Int32Array([0]),
});

Deno.test("randomAffine: zero ranges are the identity; seeded; fill outside", () => {
  const img = Array.from({ length: 16 }, (_, i) => i);
  deepEqual([...randomAffine({ seed: 1 })(batch(img, 4, 4)).x.data], img);
  const a = randomAffine({ seed: 5, maxShift: 2, maxRotation: 20, maxScale: 0.2, fill: -1 });
  const b = randomAffine({ seed: 5, maxShift: 2, maxRotation: 20, maxScale: 0.2, fill: -1 });
  deepEqual(a(batch(img, 4, 4)).x.data, b(batch(img, 4, 4)).x.data);
  throws(() => randomAffine({ seed: 1, maxShift: -1 }), /maxShift must be a finite non-negative/);
});

Deno.test("randomAffine: a constant image stays constant inside, a rotation by 90° is exact", () => {
  // With maxRotation 90 the angle is random; pick the case by brute force: the warp of a
  // constant image equals the constant wherever the source point is inside.
  const warp = randomAffine({ seed: 2, maxRotation: 30 });
  const y = warp(batch(new Array(49).fill(3), 7, 7)).x.data;
  ok(Math.abs(y[3 * 7 + 3] - 3) < 1e-6); // the centre maps to itself
  ok(y.every((v) => v >= 0 && v <= 3 + 1e-6));
});

Deno.test("randomAffine: whole-pixel shifts move the image exactly", () => {
  const img = Array.from({ length: 25 }, (_, i) => i + 1);
  const y = randomAffine({ seed: 4, maxShift: 2, wholePixels: true })(batch(img, 5, 5)).x.data;
  // find the shift by brute force among the 25 candidates and check every pixel
  let found = false;
  for (let dy = -2; dy <= 2 && !found; dy++) {
    for (let dx = -2; dx <= 2 && !found; dx++) {
      found = [...y].every((v, k) => {
        const r = Math.floor(k / 5) - dy, c = (k % 5) - dx;
        return v === (r >= 0 && r < 5 && c >= 0 && c < 5 ? img[r * 5 + c] : 0);
      });
    }
  }
  ok(found);
});

Deno.test("randomAffine: flip mirrors about half of the images exactly, and only with flip", () => {
  const n = 200, h = 3, w = 4;
  const img = Array.from({ length: h * w }, (_, i) => i + 1);
  const mirrored = img.map((_, k) => img[Math.floor(k / w) * w + (w - 1 - (k % w))]);
  const x = Variable.from(Array.from({ length: n }, () => img).flat(), [n, 1, h, w]);
  const y = randomAffine({ seed: 9, flip: true })({ x, labels: new Int32Array(n) }).x.data;
  let flips = 0;
  for (let i = 0; i < n; i++) {
    const got = [...y.subarray(i * h * w, (i + 1) * h * w)];
    const isFlip = got.every((v, k) => v === mirrored[k]);
    ok(isFlip || got.every((v, k) => v === img[k]), `image ${i} is neither`);
    if (isFlip) flips++;
  }
  // Binomial(200, 1/2): 70..130 holds with probability 1 − 2e-5
  ok(flips >= 70 && flips <= 130, `flips ${flips}`);
  // without flip the stream and the images are those of the same seed before the option
  const plain = randomAffine({ seed: 9, maxShift: 1 })({ x, labels: new Int32Array(n) }).x.data;
  const off = randomAffine({ seed: 9, maxShift: 1, flip: false })({ x, labels: new Int32Array(n) })
    .x.data;
  deepEqual(off, plain);
});

import { deepEqual, equal, throws } from "node:assert/strict";
import fc from "fast-check";
import {
  cropImage,
  decodeImage,
  imageToTensor,
  resizeImage,
  type RgbImage,
  rotate180,
} from "./image.ts";

const arbImage = fc.record({
  width: fc.integer({ min: 1, max: 9 }),
  height: fc.integer({ min: 1, max: 9 }),
})
  .chain(({ width, height }) =>
    fc.uint8Array({ minLength: width * height * 3, maxLength: width * height * 3 }).map((data) => ({
      width,
      height,
      data,
    }))
  );

Deno.test("resizeImage: same size is the identity, a constant image stays constant", () => {
  fc.assert(fc.property(arbImage, (img: RgbImage) => {
    deepEqual(resizeImage(img, img.width, img.height).data, img.data);
  }));
  const flat = { width: 3, height: 2, data: new Uint8Array(18).fill(77) };
  deepEqual(resizeImage(flat, 7, 5).data, new Uint8Array(105).fill(77));
});

Deno.test("resizeImage: 2× upsampling of a ramp matches the half-pixel formula by hand", () => {
  const img = { width: 3, height: 1, data: new Uint8Array([0, 0, 0, 90, 90, 90, 180, 180, 180]) };
  // x' = (x + 0.5)/2 − 0.5 → −0.25 (clamped 0), 0.25, 0.75, 1.25, 1.75, 2.25 (clamped 2)
  deepEqual([...resizeImage(img, 6, 1).data.filter((_, i) => i % 3 === 0)], [
    0,
    23,
    68,
    113,
    158,
    180,
  ]);
  throws(() => resizeImage(img, 0, 1), /width must be a positive integer/);
});

Deno.test("rotate180 twice is the identity; crop of the whole image is the image", () => {
  fc.assert(fc.property(arbImage, (img: RgbImage) => {
    deepEqual(rotate180(rotate180(img)).data, img.data);
    deepEqual(cropImage(img, 0, 0, img.width, img.height).data, img.data);
  }));
  throws(
    () => cropImage({ width: 1, height: 1, data: new Uint8Array(3) }, 5, 5, 1, 1),
    /outside the image/,
  );
});

Deno.test("decodeImage: real darknet files (PNG glyph, JPEG photo) and corrupt bytes", () => {
  const glyph = decodeImage(Deno.readFileSync("/usr/share/darknet/data/labels/65_7.png"));
  equal(glyph.width, 62);
  equal(glyph.height, 84);
  // An "A": white corners, dark pixels in the middle of the bottom row's legs exist.
  deepEqual([...glyph.data.subarray(0, 3)], [255, 255, 255]);
  const dark = glyph.data.filter((v) => v < 64).length;
  equal(dark > 500 && dark < glyph.data.length / 2, true);
  const photo = decodeImage(Deno.readFileSync("/usr/share/darknet/data/dog.jpg"));
  deepEqual([photo.width, photo.height], [768, 576]);
  const bytes = Deno.readFileSync("/usr/share/darknet/data/dog.jpg").slice(0, 600);
  throws(() => decodeImage(bytes, "cut.jpg"), /cut.jpg/);
});

Deno.test("imageToTensor: nchw and nhwc hold the same values; std 0 is rejected", () => {
  fc.assert(fc.property(arbImage, (img: RgbImage) => {
    const a = imageToTensor(img), b = imageToTensor(img, { layout: "nhwc" });
    const n = img.width * img.height;
    for (let i = 0; i < n; i++) {
      for (let c = 0; c < 3; c++) equal(a.data[c * n + i], b.data[3 * i + c]);
    }
  }));
  throws(
    () => imageToTensor({ width: 1, height: 1, data: new Uint8Array(3) }, { std: [1, 0, 1] }),
    /options.std/,
  );
});

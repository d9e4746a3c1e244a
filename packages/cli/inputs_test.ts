import { deepEqual, equal, rejects } from "node:assert/strict";
import { loadSamples } from "./inputs.ts";

function npy(shape: number[], data: Float32Array): Uint8Array {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${shape.join(", ")}${
    shape.length === 1 ? "," : ""
  }), }`;
  while ((10 + header.length + 1) % 64 !== 0) header += " ";
  header += "\n";
  const h = new TextEncoder().encode(header);
  const out = new Uint8Array(10 + h.length + data.byteLength);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, h.length & 255, h.length >> 8]);
  out.set(h, 10);
  out.set(new Uint8Array(data.buffer), 10 + h.length);
  return out;
}

Deno.test("loadSamples: .npy written by the NumPy 1.0 format rules, split into samples", async () => {
  const path = await Deno.makeTempFile({ suffix: ".npy" });
  await Deno.writeFile(path, npy([2, 1, 2], new Float32Array([1, 2, 3, 4])));
  const s = await loadSamples(path, { name: "x", shape: [1, 2] });
  deepEqual(s.map((v) => [...v.x.data]), [[1, 2], [3, 4]]);
  await rejects(
    () => loadSamples(path, { name: "x", shape: [1, 3] }),
    /not a whole number of samples/,
  );
  await Deno.remove(path);
});

Deno.test("loadSamples: a folder of images becomes [1, 3, H, W] tensors; bad paths are named", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.copyFile("/usr/share/darknet/data/labels/65_3.png", `${dir}/a.png`);
  await Deno.copyFile("/usr/share/darknet/data/dog.jpg", `${dir}/b.jpg`);
  await Deno.writeTextFile(`${dir}/notes.txt`, "ignored");
  const s = await loadSamples(dir, { name: "img", shape: [1, 3, 8, 16], limit: 5 });
  equal(s.length, 2);
  deepEqual(s[0].img.shape, [1, 3, 8, 16]);
  equal(s[0].img.data.every((v) => v >= 0 && v <= 1), true);
  await rejects(
    () => loadSamples(dir, { name: "img", shape: [1, 8] }),
    /images need a model input of shape \[1, 3, H, W\]/,
  );
  await rejects(
    () => loadSamples(`${dir}/missing`, { name: "img", shape: [1, 8] }),
    /missing: no such file/,
  );
  await rejects(
    () => loadSamples(`${dir}/notes.txt`, { name: "img", shape: [1, 8] }),
    /expected a folder of images/,
  );
  await Deno.remove(dir, { recursive: true });
});

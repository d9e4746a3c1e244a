import { deepEqual, equal, throws } from "node:assert/strict";
import fc from "fast-check";
import { Philox } from "@lowbit/rounding/philox";
import {
  decodeSafetensors,
  encodeSafetensors,
  loadSafetensors,
  type SafeTensor,
  saveSafetensors,
} from "./safetensors.ts";
import { Sequential } from "./module.ts";
import { Linear } from "./linear.ts";
import { BatchNorm1d } from "./batchnorm.ts";

// A file assembled by hand from the format description (huggingface/safetensors README):
// u64 LE header length, JSON header padded with spaces to 8-byte alignment, LE data.
function handMade(): Uint8Array {
  const json = '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},' +
    '"b":{"dtype":"I8","shape":[1,3],"data_offsets":[8,11]}}';
  const pad = (8 - ((8 + json.length) % 8)) % 8;
  const head = json + " ".repeat(pad);
  const out = [head.length, 0, 0, 0, 0, 0, 0, 0, ...[...head].map((c) => c.charCodeAt(0))];
  out.push(0x00, 0x00, 0x80, 0x3f); // 1.0f
  out.push(0x00, 0x00, 0x00, 0xc0); // -2.0f
  out.push(0xff, 0x00, 0x7f); // -1, 0, 127
  return new Uint8Array(out);
}

Deno.test("decodes a hand-assembled file; encodes the same tensors to the same bytes", () => {
  const bytes = handMade();
  const { tensors, metadata } = decodeSafetensors(bytes);
  deepEqual(metadata, {});
  deepEqual([...tensors.get("a")!.data], [1, -2]);
  deepEqual(tensors.get("b")!.shape, [1, 3]);
  deepEqual([...tensors.get("b")!.data], [-1, 0, 127]);
  const again = encodeSafetensors(
    new Map<string, SafeTensor>([
      ["a", { dtype: "F32", shape: [2], data: new Float32Array([1, -2]) }],
      ["b", { dtype: "I8", shape: [1, 3], data: new Int8Array([-1, 0, 127]) }],
    ]),
  );
  deepEqual(again, bytes);
});

Deno.test("round trip of random tensors of every dtype (property)", () => {
  const arb = fc.array(
    fc.record({
      dims: fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 }),
      kind: fc.constantFrom("F32", "F64", "I32", "U8", "I64", "BF16"),
      seed: fc.nat(),
    }),
    { maxLength: 5 },
  );
  fc.assert(
    fc.property(arb, (specs) => {
      const m = new Map<string, SafeTensor>();
      specs.forEach((s, i) => {
        const n = s.dims.reduce((a, b) => a * b, 1);
        const r = new Philox(s.seed);
        const u = Array.from({ length: n }, () => r.nextUint32());
        const data = s.kind === "F32"
          ? Float32Array.from(u, (v) => v / 7 - 1e8)
          : s.kind === "F64"
          ? Float64Array.from(u, (v) => v / 3)
          : s.kind === "I32"
          ? Int32Array.from(u)
          : s.kind === "U8"
          ? Uint8Array.from(u)
          : s.kind === "I64"
          ? BigInt64Array.from(u, (v) => BigInt(v) * -3n)
          : Uint16Array.from(u);
        m.set(`t${i}.w`, { dtype: s.kind as SafeTensor["dtype"], shape: s.dims, data });
      });
      const bytes = encodeSafetensors(m, { note: "x" });
      const back = decodeSafetensors(bytes);
      deepEqual(back.metadata, { note: "x" });
      deepEqual([...back.tensors.keys()], [...m.keys()]);
      for (const [k, t] of m) {
        deepEqual(back.tensors.get(k)!.data, t.data);
        deepEqual(back.tensors.get(k)!.shape, t.shape);
      }
      equal(Number(new DataView(bytes.buffer).getBigUint64(0, true)) % 8, 0);
    }),
    { numRuns: 50 },
  );
});

Deno.test("rejects malformed files with a reason", () => {
  const good = handMade();
  const trunc = good.slice(0, good.length - 1);
  throws(() => decodeSafetensors(trunc), /cover 11 data bytes but the file holds 10/);
  const bad = good.slice();
  bad[0] = 255;
  throws(() => decodeSafetensors(bad), /header length 255 exceeds the file/);
  const gap = new TextEncoder().encode('{"a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}');
  const f = new Uint8Array(8 + gap.length + 2);
  f[0] = gap.length;
  f.set(gap, 8);
  throws(() => decodeSafetensors(f), /starts at byte 1; the data must be contiguous from 0/);
  throws(
    () =>
      encodeSafetensors(new Map([["x", { dtype: "F32", shape: [3], data: new Float32Array(2) }]])),
    /shape \[3\] does not match 2 values/,
  );
  throws(
    () =>
      encodeSafetensors(new Map([["x", { dtype: "F32", shape: [2], data: new Float64Array(2) }]])),
    /dtype F32 needs a Float32Array/,
  );
});

Deno.test("a model's state dict survives a file round trip", async () => {
  const make = (seed: number) => {
    const random = new Philox(seed);
    return new Sequential([["fc", new Linear(3, 2, { random })], ["bn", new BatchNorm1d(2)]]);
  };
  const a = make(1), b = make(2);
  a.namedBuffers()[0][1].data.set([0.25, -4]);
  const path = await Deno.makeTempFile({ suffix: ".safetensors" });
  try {
    await saveSafetensors(path, a.stateDict(), { arch: "test" });
    const { stateDict, metadata } = await loadSafetensors(path);
    equal(metadata.arch, "test");
    b.loadStateDict(stateDict);
    deepEqual(b.stateDict(), a.stateDict());
  } finally {
    await Deno.remove(path);
  }
});

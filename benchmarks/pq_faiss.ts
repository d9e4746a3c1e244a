/**
 * Product quantization against FAISS (manual check; needs Debian `python3-faiss`, run with
 * `deno run -A benchmarks/pq_faiss.ts`): on the same seeded 2000×32 standard-normal set
 * (M = 8, nbits = 8) it compares the reconstruction MSE of lowbit's and FAISS's trained
 * quantizers (the bar: within 5%), times single-threaded encoding of 100k vectors on
 * both sides, and encodes with FAISS's own centroids to count code differences (FAISS ranks by
 * the expanded ‖x‖² − 2x·c + ‖c‖² in BLAS order, lowbit by the direct float32 distance, so
 * they may part only on near-ties).
 *
 * @module
 */

import { Philox } from "@lowbit/rounding";
import { ProductQuantizer } from "@lowbit/vq";

const dir = "out/pq_faiss";
await Deno.mkdir(dir, { recursive: true });

function normal(n: number, seed: number): Float32Array {
  const r = new Philox(seed);
  const x = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const rad = Math.sqrt(-2 * Math.log(1 - r.uniform())), t = 2 * Math.PI * r.uniform();
    x[i] = rad * Math.cos(t);
    if (i + 1 < n) x[i + 1] = rad * Math.sin(t);
  }
  return x;
}

const d = 32, M = 8, nbits = 8;
const train = normal(2000 * d, 2026);
const enc = normal(100_000 * d, 2027);
await Deno.writeFile(`${dir}/train.f32`, new Uint8Array(train.buffer));
await Deno.writeFile(`${dir}/encode.f32`, new Uint8Array(enc.buffer));

const run = await new Deno.Command("/usr/bin/python3", {
  args: ["benchmarks/pq_faiss.py", dir],
  stdout: "piped",
  stderr: "piped",
}).output();
if (!run.success) {
  console.error(new TextDecoder().decode(run.stderr));
  console.error("pq_faiss: FAISS is not available (apt-get install python3-faiss)");
  Deno.exit(1);
}
const faiss = JSON.parse(new TextDecoder().decode(run.stdout));

const pq = new ProductQuantizer(d, M, nbits);
pq.train(train, { seed: 0 });
const rec = pq.decode(pq.encode(train));
let mse = 0;
for (let i = 0; i < train.length; i++) mse += (train[i] - rec[i]) ** 2;
mse /= train.length;

pq.encode(enc.subarray(0, 1000 * d));
const t0 = performance.now();
pq.encode(enc);
const ours = 100_000 / ((performance.now() - t0) / 1000);

// cross-check with FAISS's centroids
const fc = new Float32Array((await Deno.readFile(`${dir}/faiss_centroids.f32`)).buffer);
const fcodes = await Deno.readFile(`${dir}/faiss_codes.u8`);
const same = new ProductQuantizer(d, M, nbits);
same.setCentroids(fc);
const ourCodes = same.encode(enc);
let diff = 0;
for (let i = 0; i < ourCodes.length; i++) if (ourCodes[i] !== fcodes[i]) diff++;

console.log(`FAISS ${faiss.version}, 2000×32 N(0,1), M = 8, nbits = 8, 1 thread`);
console.log(
  `reconstruction MSE: lowbit ${mse.toFixed(5)}, FAISS ${faiss.mse.toFixed(5)}, ratio ${
    (mse / faiss.mse).toFixed(3)
  }`,
);
console.log(
  `encode 100k vectors: lowbit ${(ours / 1000).toFixed(0)}k/s, FAISS ${
    (faiss.encode_vectors_per_s / 1000).toFixed(0)
  }k/s, ratio ${(ours / faiss.encode_vectors_per_s).toFixed(2)}`,
);
console.log(`with FAISS's centroids: ${diff} of ${ourCodes.length} sub-codes differ from FAISS's`);

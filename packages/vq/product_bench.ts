// PQ speed beside the code (single thread): encode 100k×32 standard-normal vectors at M = 8,
// nbits = 8 (issue target ≥ 400k vectors/s; FAISS 1.7.3 single-threaded measured 62k/s here,
// 1.15.1 396k/s), and ADC search over 1M codes (target ≥ 100M codes/s).
// Run: tools/node_modules/.bin/deno bench -A packages/vq/product_bench.ts — the table's times
// per iteration give vectors/s and codes/s as the names' counts divided by the time; the lines
// printed first state them directly (best of 5 after a warm-up; a loaded host lowers both).

import { Philox } from "@lowbit/rounding";
import { ProductQuantizer } from "./product.ts";

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

const pq = new ProductQuantizer(32, 8, 8);
pq.train(normal(10000 * 32, 1), { seed: 0, maxIter: 10 });
const x = normal(100_000 * 32, 2);
const db = new Uint8Array(1_000_000 * 8);
for (let i = 0; i < 10; i++) db.set(pq.encode(normal(100_000 * 32, 10 + i)), i * 800_000);
const q = normal(32, 3);

/** Items per second of the fastest of `reps` runs after one warm-up. */
function rate(items: number, reps: number, f: () => void): number {
  f();
  let best = Infinity;
  for (let r = 0; r < reps; r++) {
    const t = performance.now();
    f();
    best = Math.min(best, performance.now() - t);
  }
  return items / (best / 1000);
}
console.log(
  `PQ encode, 100k×32, M = 8, nbits = 8, Wasm: ${
    (rate(100_000, 5, () => pq.encode(x)) / 1e3).toFixed(0)
  }k vectors/s (target ≥ 400k)`,
);
console.log(
  `ADC distances over 1M codes, Wasm: ${
    (rate(1_000_000, 5, () => pq.adcDistances(db, q)) / 1e6).toFixed(0)
  }M codes/s (target ≥ 100M)`,
);
console.log(
  `search top-10 over 1M codes, Wasm: ${
    (rate(1_000_000, 5, () => pq.search(db, q, 10)) / 1e6).toFixed(0)
  }M codes/s`,
);

Deno.bench({ name: "PQ encode 100k vectors, Wasm", group: "encode", baseline: true, n: 10 }, () => {
  pq.encode(x);
});
Deno.bench({ name: "PQ encode 100k vectors, TS reference", group: "encode", n: 2 }, () => {
  pq.encode(x, { kernel: "ts" });
});
Deno.bench(
  { name: "ADC distances over 1M codes, Wasm", group: "adc", baseline: true, n: 20 },
  () => {
    pq.adcDistances(db, q);
  },
);
Deno.bench({ name: "ADC distances over 1M codes, TS reference", group: "adc", n: 5 }, () => {
  pq.adcDistances(db, q, { kernel: "ts" });
});
Deno.bench({ name: "search top-10 over 1M codes, Wasm", group: "adc", n: 20 }, () => {
  pq.search(db, q, 10);
});

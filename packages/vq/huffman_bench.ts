import { Philox } from "@lowbit/rounding";
import { countSymbols, huffman, huffmanDecode, huffmanEncode } from "./huffman.ts";

// A skewed 32-symbol stream of 1M symbols (geometric-like, as cluster indices of shared
// weights are), seeded.
const rng = new Philox(7, 0);
const n = 1 << 20;
const symbols = new Int32Array(n);
for (let i = 0; i < n; i++) symbols[i] = Math.min(31, Math.floor(-Math.log(rng.uniform()) * 4));
const code = huffman(countSymbols(symbols, 32));
const enc = huffmanEncode(code, symbols);

Deno.bench("huffman build, 32 symbols", { group: "huffman" }, () => {
  huffman(countSymbols(symbols, 32));
});
Deno.bench("huffman encode, 1M symbols", { group: "huffman", baseline: true }, () => {
  huffmanEncode(code, symbols);
});
Deno.bench("huffman decode, 1M symbols", { group: "huffman" }, () => {
  huffmanDecode(code, enc.bytes, enc.bitLength);
});

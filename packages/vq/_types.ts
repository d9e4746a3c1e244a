// Private: types shared by vq's public modules and their private kernels (so a kernel never
// imports the public module that uses it). Re-exported by the public modules that take them.

/** Which implementation runs: the chooser (`"auto"`: WebAssembly SIMD when available), or one forced. */
export type KernelChoice = "auto" | "wasm" | "ts";

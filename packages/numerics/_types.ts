// Private: types shared by numerics' public modules and their private kernels (so a kernel
// never imports the public module that uses it). Re-exported by the public modules.

/** Typed array holding bit patterns: one element per value. */
export type BitsArray = Uint8Array | Uint16Array | Uint32Array;

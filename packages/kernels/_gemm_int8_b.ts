// Private: where the int8 GEMM drivers (dot-i16 and relaxed-dot) get B from: B's codes
// copied into kernel memory, or a convolution's patch matrix gathered there by the Wasm
// im2col8 from the copied input image (no patch matrix in JavaScript memory).

import type { GemmInt8Call } from "./_gemm_int8_ref.ts";
import type { ResolvedConv2d } from "./_conv_resolve.ts";
import { type Arena, kernels } from "./_wasm.ts";

/**
 * Room in the arena for what B is made from: B's codes (k·n bytes), or, for an im2col B, the
 * image's input planes too (the patch matrix is gathered from them in kernel memory).
 */
export function allocB(c: GemmInt8Call, arena: Arena): { bRaw: number; bIn: number } {
  const bIn = c.bIm2col ? arena.alloc(planeBytes(c.bIm2col.r)) : 0;
  return { bRaw: arena.alloc(c.k * c.n), bIn };
}

function planeBytes(r: ResolvedConv2d): number {
  return r.cinG * r.h * r.w;
}

/** Writes B's k×n codes at `bRaw` (copied, or gathered by im2col8 from the copied input). */
export function writeB(c: GemmInt8Call, u8: Uint8Array, at: { bRaw: number; bIn: number }): void {
  const src = c.bIm2col;
  if (src === undefined) {
    u8.set(new Uint8Array(c.b.buffer, c.b.byteOffset, c.k * c.n), at.bRaw);
    return;
  }
  const { r, input, image, fill } = src;
  const plane = planeBytes(r);
  u8.set(new Uint8Array(input.buffer, input.byteOffset + image * plane, plane), at.bIn);
  kernels()!.int8.im2col8(
    at.bIn,
    r.cinG,
    r.h,
    r.w,
    r.kh,
    r.kw,
    r.sh,
    r.sw,
    r.dh,
    r.dw,
    r.padT,
    r.padL,
    r.outH,
    r.outW,
    fill & 0xff,
    at.bRaw,
  );
}

// Private: validation of Conv2dParams and the resolved (all-numbers) form every conv kernel
// uses.

import { checkDim, checkIntRange, checkLength, checkType } from "./_validate.ts";
import type { Conv2dParams } from "./_types.ts";

/** Conv2dParams with every default filled in and derived sizes. */
export interface ResolvedConv2d {
  /** Images in the batch (N). */
  batch: number;
  /** Input channels (C). */
  inC: number;
  /** Input height. */
  h: number;
  /** Input width. */
  w: number;
  /** Output channels (O). */
  outC: number;
  /** Kernel height. */
  kh: number;
  /** Kernel width. */
  kw: number;
  /** Vertical stride. */
  sh: number;
  /** Horizontal stride. */
  sw: number;
  /** Zero rows above. */
  padT: number;
  /** Zero columns on the left. */
  padL: number;
  /** Zero rows below. */
  padB: number;
  /** Zero columns on the right. */
  padR: number;
  /** Vertical dilation. */
  dh: number;
  /** Horizontal dilation. */
  dw: number;
  /** Groups. */
  groups: number;
  /** Input channels per group. */
  cinG: number;
  /** Output channels per group. */
  coutG: number;
  /** Output height (equation (1) of conv_params.ts). */
  outH: number;
  /** Output width. */
  outW: number;
  /** Rows of a group's im2col matrix: cinG·kh·kw. */
  kSize: number;
}

const LIMIT = 0x7fffffff;

function pair(name: string, v: unknown, dflt: number, min: number): [number, number] {
  if (v === undefined) return [dflt, dflt];
  if (typeof v === "number") {
    checkIntRange(name, v, min, LIMIT);
    return [v, v];
  }
  if (!Array.isArray(v) || v.length !== 2) {
    throw new RangeError(
      `${name} must be an integer ≥ ${min} or a pair [h, w] of them, got ${String(v)}`,
    );
  }
  checkIntRange(`${name}[0]`, v[0], min, LIMIT);
  checkIntRange(`${name}[1]`, v[1], min, LIMIT);
  return [v[0], v[1]];
}

/** Validates `p` (errors name `p.<field>`) and fills in defaults and derived sizes. */
export function resolveConv2d(p: Conv2dParams): ResolvedConv2d {
  if (p === null || typeof p !== "object") {
    throw new TypeError(`p must be a Conv2dParams object, got ${String(p)}`);
  }
  const batch = checkDim("p.batch", p.batch);
  const inC = checkDim("p.inChannels", p.inChannels);
  const h = checkDim("p.height", p.height);
  const w = checkDim("p.width", p.width);
  const outC = checkDim("p.outChannels", p.outChannels);
  const kh = checkDim("p.kernelH", p.kernelH);
  const kw = checkDim("p.kernelW", p.kernelW);
  const [sh, sw] = pair("p.stride", p.stride, 1, 1);
  const [dh, dw] = pair("p.dilation", p.dilation, 1, 1);
  let pads: [number, number, number, number];
  const pv = p.padding;
  if (pv === undefined) pads = [0, 0, 0, 0];
  else if (typeof pv === "number") {
    checkIntRange("p.padding", pv, 0, LIMIT);
    pads = [pv, pv, pv, pv];
  } else if (Array.isArray(pv) && pv.length === 4) {
    for (let i = 0; i < 4; i++) checkIntRange(`p.padding[${i}]`, pv[i], 0, LIMIT);
    pads = [pv[0], pv[1], pv[2], pv[3]];
  } else {
    throw new RangeError(
      `p.padding must be an integer ≥ 0 or [top, left, bottom, right], got ${String(pv)}`,
    );
  }
  const groups = checkDim("p.groups", p.groups ?? 1);
  if (inC % groups !== 0 || outC % groups !== 0) {
    throw new RangeError(
      `p.groups must divide p.inChannels (${inC}) and p.outChannels (${outC}), got ${groups}`,
    );
  }
  const [padT, padL, padB, padR] = pads;
  const outH = Math.floor((h + padT + padB - dh * (kh - 1) - 1) / sh) + 1;
  const outW = Math.floor((w + padL + padR - dw * (kw - 1) - 1) / sw) + 1;
  if (outH < 1 || outW < 1) {
    throw new RangeError(
      `p gives an empty output (${outH}×${outW}): the dilated kernel ` +
        `${dh * (kh - 1) + 1}×${dw * (kw - 1) + 1} exceeds the padded input ` +
        `${h + padT + padB}×${w + padL + padR}`,
    );
  }
  const cinG = inC / groups;
  const r: ResolvedConv2d = {
    batch,
    inC,
    h,
    w,
    outC,
    kh,
    kw,
    sh,
    sw,
    padT,
    padL,
    padB,
    padR,
    dh,
    dw,
    groups,
    cinG,
    coutG: outC / groups,
    outH,
    outW,
    kSize: cinG * kh * kw,
  };
  for (
    const [name, v] of [
      ["input", batch * inC * h * w],
      ["output", batch * outC * outH * outW],
      ["weight", outC * cinG * kh * kw],
    ] as const
  ) {
    if (v > LIMIT) throw new RangeError(`p makes the ${name} too large (${v} elements ≥ 2^31)`);
  }
  return r;
}

/** Checks an activation buffer (NCHW input) of type `types`. */
export function checkInput(
  name: string,
  x: unknown,
  r: ResolvedConv2d,
  types: readonly (abstract new (...args: never[]) => unknown)[],
): void {
  checkType(name, x, types);
  checkLength(
    name,
    x as ArrayLike<number>,
    r.batch * r.inC * r.h * r.w,
    `NCHW ${r.batch}×${r.inC}×${r.h}×${r.w} = ${r.batch * r.inC * r.h * r.w}`,
  );
}

/** Checks an OIHW weight buffer. */
export function checkWeight(
  name: string,
  x: unknown,
  r: ResolvedConv2d,
  types: readonly (abstract new (...args: never[]) => unknown)[],
): void {
  checkType(name, x, types);
  const need = r.outC * r.cinG * r.kh * r.kw;
  checkLength(
    name,
    x as ArrayLike<number>,
    need,
    `OIHW ${r.outC}×${r.cinG}×${r.kh}×${r.kw} = ${need}`,
  );
}

/** Checks the batch index n and group index g. */
export function checkBatchGroup(r: ResolvedConv2d, n: unknown, g: unknown): void {
  checkIntRange("n", n, 0, r.batch - 1);
  checkIntRange("g", g, 0, r.groups - 1);
}

/**
 * The range of output columns `[lo, hi)` whose input column `o·stride + off` lies in
 * `[0, size)`.
 */
export function validRange(
  off: number,
  stride: number,
  size: number,
  outSize: number,
): [number, number] {
  const lo = Math.min(outSize, Math.max(0, Math.ceil(-off / stride)));
  const hi = Math.min(outSize, Math.floor((size - 1 - off) / stride) + 1);
  return hi > lo ? [lo, hi] : [lo, lo];
}

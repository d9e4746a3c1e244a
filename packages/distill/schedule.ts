/**
 * Schedules for the distillation temperature T and the weights α, β over training: a function
 * of the global step (the `Schedule` type of `@lowbit/nn/schedule`, so learning-rate schedules
 * and these share one shape). Constant, linear and cosine ramps from a start value to an end
 * value over `total` steps (the cosine one is `cosineLR` of `@lowbit/nn` with its end value as
 * `minLr`).
 *
 * @example T from 8 down to 2 over 100 steps
 * ```ts
 * import { rampSchedule } from "@lowbit/distill/schedule";
 * import { equal } from "node:assert/strict";
 * const lin = rampSchedule({ kind: "linear", from: 8, to: 2, total: 100 });
 * equal(lin(0), 8);
 * equal(lin(50), 5);
 * equal(lin(100), 2);
 * ```
 *
 * @module
 */

import { cosineLR, type Schedule } from "@lowbit/nn/schedule";

/** A ramp of {@linkcode rampSchedule}. */
export interface RampOptions {
  /** `"constant"` (always `from`), `"linear"` or `"cosine"` (half cosine). */
  kind: "constant" | "linear" | "cosine";
  /** Value at step 0 (≥ 0). */
  from: number;
  /** Value at step `total` and after (≥ 0; ignored by `"constant"`). */
  to?: number;
  /** Steps of the ramp (positive integer; ignored by `"constant"`). */
  total?: number;
}

/**
 * A constant, linear or cosine schedule from `from` to `to` over `total` steps.
 *
 * @param options Kind, end points, length.
 * @returns The schedule (step → value).
 * @throws {RangeError} If `options.kind` is unknown, an end point is negative or not finite,
 *   or `options.total` is not a positive integer for a ramp.
 *
 * @example The cosine ramp is at the midpoint halfway
 * ```ts
 * import { rampSchedule } from "@lowbit/distill/schedule";
 * import { ok, equal } from "node:assert/strict";
 * const cos = rampSchedule({ kind: "cosine", from: 0.9, to: 0.1, total: 10 });
 * equal(cos(0), 0.9);
 * ok(Math.abs(cos(5) - 0.5) < 1e-12);
 * equal(rampSchedule({ kind: "constant", from: 4 })(1000), 4);
 * ```
 */
export function rampSchedule(options: RampOptions): Schedule {
  const { kind, from } = options;
  const finite = (name: string, v: unknown) => {
    if (typeof v !== "number" || !Number.isFinite(v) || v < 0) {
      throw new RangeError(`${name} must be a finite number ≥ 0; got ${String(v)}`);
    }
    return v;
  };
  finite("options.from", from);
  if (kind === "constant") return () => from;
  if (kind !== "linear" && kind !== "cosine") {
    throw new RangeError(
      `options.kind must be "constant", "linear" or "cosine"; got ${String(kind)}`,
    );
  }
  const to = finite("options.to", options.to);
  const total = options.total;
  if (typeof total !== "number" || !Number.isInteger(total) || total < 1) {
    throw new RangeError(`options.total must be a positive integer; got ${String(total)}`);
  }
  const checkStep = (t: number) => {
    if (!Number.isInteger(t) || t < 0) {
      throw new RangeError(`step must be a non-negative integer; got ${t}`);
    }
  };
  if (kind === "linear") {
    return (t) => {
      checkStep(t);
      return t >= total ? to : from + ((to - from) * t) / total;
    };
  }
  return cosineLR({ lr: from, minLr: to, total });
}

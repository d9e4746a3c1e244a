import { ok } from "node:assert/strict";
import fc from "fast-check";
import { sign1, STE_RULES, type SteName } from "./ste.ts";

const NAMES = Object.keys(STE_RULES) as SteName[];
/** Points where a rule's surrogate has a kink (central differences are invalid there). */
const KINKS = [-1, 0, 1];

Deno.test("every STE rule's grad is the central difference of its surrogate (away from kinks)", () => {
  for (const name of NAMES) {
    for (const beta of [1, 5, 10]) {
      const p = { beta, bits: 2 };
      const rule = STE_RULES[name];
      fc.assert(
        fc.property(fc.double({ min: -3, max: 3, noNaN: true }), (x) => {
          const h = 1e-5;
          if (KINKS.some((k) => Math.abs(x - k) < 1e-3)) return;
          const fd = (rule.surrogate(x + h, p) - rule.surrogate(x - h, p)) / (2 * h);
          const g = rule.grad(x, p);
          ok(
            Math.abs(fd - g) <= 1e-4 * Math.max(1, Math.abs(g)),
            `${name} β=${beta} at ${x}: ${g} vs ${fd}`,
          );
        }),
        { numRuns: 200, seed: 7 },
      );
    }
  }
});

Deno.test("sign rules: the surrogate tends to the forward ±1 far from zero", () => {
  for (const name of ["identity", "hardTanh", "approxSign", "signSwish"] as const) {
    for (const x of [-4, -2.5, 2.5, 4]) {
      ok(STE_RULES[name].forward(x, {}) === sign1(x), `${name} forward at ${x}`);
      if (name !== "identity") {
        ok(
          Math.abs(STE_RULES[name].surrogate(x, {}) - sign1(x)) < 1e-3,
          `${name} surrogate at ${x}`,
        );
      }
    }
  }
});

import { equal, ok, throws } from "node:assert/strict";
import { rampSchedule } from "./schedule.ts";

Deno.test("rampSchedule: linear and cosine against their formulas at every step", () => {
  const total = 16, from = 6, to = 1.5;
  const lin = rampSchedule({ kind: "linear", from, to, total });
  const cos = rampSchedule({ kind: "cosine", from, to, total });
  for (let t = 0; t <= total + 3; t++) {
    const u = Math.min(t, total) / total;
    ok(Math.abs(lin(t) - (from + (to - from) * u)) < 1e-12);
    ok(Math.abs(cos(t) - (to + 0.5 * (from - to) * (1 + Math.cos(Math.PI * u)))) < 1e-12);
  }
  // increasing ramps work too (e.g. α from 0 to 1)
  const up = rampSchedule({ kind: "cosine", from: 0, to: 1, total: 4 });
  ok(up(0) === 0 && Math.abs(up(2) - 0.5) < 1e-12 && up(4) === 1);
  equal(rampSchedule({ kind: "constant", from: 2 })(7), 2);
});

Deno.test("rampSchedule: typed errors", () => {
  throws(
    () => rampSchedule({ kind: "step" as "linear", from: 1, to: 0, total: 2 }),
    /options.kind/,
  );
  throws(() => rampSchedule({ kind: "linear", from: -1, to: 0, total: 2 }), /options.from/);
  throws(() => rampSchedule({ kind: "linear", from: 1, total: 2 }), /options.to/);
  throws(() => rampSchedule({ kind: "linear", from: 1, to: 0, total: 0 }), /options.total/);
  throws(() => rampSchedule({ kind: "linear", from: 1, to: 0, total: 3 })(-1), /step/);
});

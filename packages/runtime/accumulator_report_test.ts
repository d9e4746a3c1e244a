import { deepEqual, equal, ok } from "node:assert/strict";
import { accumulatorReport } from "./accumulator_report.ts";
import { convertModel } from "./convert.ts";
import { runInteger } from "./graph.ts";
import { smallCnn, smallInputs } from "./_test_models.ts";

Deno.test("accumulator report: 32 bits never overflow; narrower widths overflow exactly when the data needs more bits", () => {
  const model = smallCnn(11),
    graph = convertModel(model, [smallInputs(12, 32)]),
    x = smallInputs(13, 8);
  const wide = accumulatorReport(graph, x, { bits: 32, overflow: "wrap" });
  deepEqual(wide.map((l) => l.node), ["conv1", "dw", "pw", "fc"]);
  const trace = runInteger(graph, x).trace;
  for (const l of wide) {
    equal(l.overflowed, 0);
    equal(l.outputs, trace.get(l.node)!.size);
    ok(l.bitsNeeded >= 2 && l.bitsNeeded <= 32);
  }
  for (const bits of [16, 24] as const) {
    for (const overflow of ["wrap", "saturate"] as const) {
      const narrow = accumulatorReport(graph, x, { bits, overflow });
      narrow.forEach((l, i) => {
        equal(l.maxAbsPartial, wide[i].maxAbsPartial);
        // Overflow somewhere ⇔ the largest partial sum needs more than `bits` (up to the one
        // value −2^(b−1) that fits although |·| = 2^(b−1)).
        if (l.bitsNeeded <= bits) equal(l.overflowed, 0, `${l.node} ${bits}`);
        if (l.bitsNeeded > bits + 1) ok(l.overflowed > 0, `${l.node} ${bits}`);
      });
    }
  }
});

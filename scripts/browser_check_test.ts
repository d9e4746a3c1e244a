import { deepEqual, equal } from "node:assert/strict";
import { allDrawn, inspectDom } from "./browser_check.ts";

Deno.test("inspectDom counts defined figures, drawn figures and main-svg elements", () => {
  const source = '<div class="lowbit-plot" id="a"></div><div class="lowbit-plot" id="b"></div>';
  const drawnOne =
    '<div id="a" class="lowbit-plot js-plotly-plot"><svg class="main-svg"></svg><svg class="main-svg"></svg></div><div id="b" class="lowbit-plot">plotly.js is not loaded</div>';
  const c = inspectDom(source, drawnOne);
  deepEqual(c, { figures: 2, drawn: 1, mainSvgs: 2 });
  equal(allDrawn(c), false);
  equal(allDrawn({ figures: 2, drawn: 2, mainSvgs: 4 }), true);
  equal(allDrawn({ figures: 0, drawn: 0, mainSvgs: 0 }), false);
});

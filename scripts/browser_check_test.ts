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

Deno.test("allDrawn counts against the expected number of figures, not only those on the page", () => {
  // A figure lost before the page was written: the page has 2, both drawn, the notebook makes 3.
  const c = { figures: 2, drawn: 2, mainSvgs: 4 };
  equal(allDrawn(c), true);
  equal(allDrawn(c, 3), false);
  equal(allDrawn(c, 2), true);
  equal(allDrawn({ figures: 3, drawn: 2, mainSvgs: 6 }, 3), false);
  equal(allDrawn({ figures: 2, drawn: 2, mainSvgs: 3 }, 2), false);
});

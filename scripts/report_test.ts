import { equal, ok, throws } from "node:assert/strict";
import {
  anchorCells,
  cellOfResult,
  countFigures,
  embedPlotly,
  indexHtml,
  notebookTitle,
} from "./report.ts";
import { figure, lineTrace, plotlyHtml } from "../notebooks/_lib/plot.ts";

Deno.test("embedPlotly puts the library first in <head>, escapes </script>, is idempotent", () => {
  const page = '<html><head lang="x"><script src="require.js"></script></head><body></body></html>';
  const out = embedPlotly(page, 'window.Plotly = {s: "</script>"};');
  ok(out.indexOf('id="lowbit-plotly"') < out.indexOf("require.js"));
  ok(out.includes('window.Plotly = {s: "<\\/script>"};</script>'));
  equal(embedPlotly(out, "x"), out);
  throws(() => embedPlotly("<body></body>", "x"), /no <head>/);
});

Deno.test("countFigures counts the plotting helper's figures", () => {
  const f = figure([lineTrace([1], [2])]);
  equal(countFigures(`<p></p>${plotlyHtml(f)}${plotlyHtml(f)}`), 2);
  equal(countFigures("<div></div>"), 0);
});

Deno.test("notebookTitle takes the first Markdown heading", () => {
  equal(
    notebookTitle([{ cell_type: "code", source: "# not this" }, {
      cell_type: "markdown",
      source: ["text\n", "## 01 · Title\n"],
    }], "x"),
    "01 · Title",
  );
  equal(notebookTitle([], "fallback"), "fallback");
});

Deno.test("indexHtml links notebooks and counts pass / deviations", () => {
  const html = indexHtml(
    [{
      notebook: "01-a",
      href: "notebooks/01-a.html",
      title: "A <b>",
      figures: 2,
      resultCells: { d: 4 },
    }],
    [{
      notebook: "01-a",
      results: [
        {
          id: "p",
          quantity: "q",
          reproduced: 1,
          reference: 1,
          source: "s",
          status: "pass",
          error: 0,
        },
        {
          id: "d",
          quantity: "q2",
          reproduced: 2,
          reference: 1,
          source: "s",
          status: "deviation",
          error: 1,
          knownDeviation: "typo",
        },
      ],
    }],
  );
  ok(html.includes('<a href="notebooks/01-a.html">01-a</a>: A &lt;b&gt; <small>(2 figures)'));
  ok(html.includes("1 pass, 1 explained deviation, 0 unexplained deviations."));
  equal(html.split('<tr class="').length - 1, 2);
  // per-notebook summary row, then each result linked to its cell when known
  ok(
    html.includes('<td><a href="notebooks/01-a.html">01-a</a></td><td>1</td><td>1</td><td>0</td>'),
  );
  ok(html.includes('<a href="notebooks/01-a.html#cell-4">01-a</a>'));
  ok(html.indexOf("lowbit-summary") < html.indexOf("lowbit-results"));
});

Deno.test("anchorCells numbers the cells; cellOfResult finds literal and template ids", () => {
  const page = '<div class="jp-Cell jp-MarkdownCell"></div><div class="jp-Cell jp-CodeCell"></div>';
  const a = anchorCells(page);
  ok(a.includes('<div id="cell-1" class="jp-Cell jp-MarkdownCell">'));
  ok(a.includes('<div id="cell-2" class="jp-Cell jp-CodeCell">'));
  equal(anchorCells(a), a);
  const cells = [
    { source: "# title" },
    { source: ["results.record({\n", '  id: "a.b",\n'] },
    { source: "for (const k of ks) void results.record({ id: `float-vs-ort-${k}`, x })" },
  ];
  equal(cellOfResult(cells, "a.b"), 2);
  equal(cellOfResult(cells, "axb"), undefined); // "." is not a wildcard
  equal(cellOfResult(cells, "float-vs-ort-cls"), 3);
  equal(cellOfResult(cells, "float-vs-ort-"), undefined);
});
